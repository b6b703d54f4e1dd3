/**
 * Issue 7, part 6: digest delivery under faults. Fourteen subscriptions, two per receiver behaviour,
 * each get a digest; their webhook receivers time out, answer 500, take the body and reset the
 * connection, answer 200 but cut their own answer short, or are down and come back, and some never
 * recover. Delivery is retried over simulated hours (with a restart of the service half-way) until
 * nothing is pending. Then:
 *  - every digest whose receiver recovered was accepted (a 2xx the sender saw) exactly once, and after
 *    that acceptance its delivery id never arrived again;
 *  - the same delivery id arrived more than once only where the sender could not know the first copy
 *    had arrived (a timeout or a reset before any answer); an answer of 500 is a refusal, not a copy;
 *  - every digest whose receiver never recovered is marked failed with its reason, visibly, through
 *    GET /api/v1/subscriptions/:id/digests.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { openDatabase, type Db } from '../src/db/open.js';
import { createDigestService, type DigestService } from '../src/digests/index.js';
import { silentLogger } from '../src/shared/log.js';
import { ingestHarness, type IngestHarness } from './helpers/harness.js';
import { seedFeeds, seedStories } from './helpers/seed.js';
import { insertSubscription } from './helpers/subscriptions.js';

const SECRET = 'fault-suite-webhook-secret';
const ADMIN = 'fault-suite-admin-token-0123456789';
const TIMEOUT_MS = 400;
const MAX_ATTEMPTS = 5;
const t0 = new Date('2025-01-02T08:00:00Z');

/** What a receiver does on its n-th request for a delivery id (the last step repeats). */
type Step = 200 | 500 | 'hang' | 'late-200' | 'reset' | 'cut-200' | 'down';
const PLANS: Record<string, { steps: Step[]; recovers: boolean; reason?: RegExp }> = {
  'flaky-500': { steps: [500, 500, 200], recovers: true },
  'times-out': { steps: ['hang', 'late-200', 200], recovers: true },
  'resets': { steps: ['reset', 'reset', 200], recovers: true },
  'cuts-its-answer': { steps: ['cut-200', 200], recovers: true },
  'down-then-up': { steps: ['down', 'down', 200], recovers: true },
  'always-500': { steps: [500], recovers: false, reason: /^the receiver answered HTTP 500$/ },
  'always-resets': { steps: ['reset'], recovers: false, reason: /^the server closed the connection early$/ },
};

interface Receipt {
  plan: string;
  deliveryId: string;
  step: Step;
  signatureValid: boolean;
}

let h: IngestHarness;
let db: Db;
let server: Server;
let port: number;
let service: DigestService;
let app: FastifyInstance;
const receipts: Receipt[] = [];
const subscriptions = new Map<string, string>(); // subscription id -> plan

function verify(req: IncomingMessage, body: string): boolean {
  const ts = String(req.headers['x-shiftwire-timestamp']);
  const expected = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`;
  return req.headers['x-shiftwire-signature'] === expected;
}

async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of req) body += chunk;
  const plan = /^\/hook\/([\w-]+)\/\d+$/.exec(req.url ?? '')?.[1] ?? '';
  const deliveryId = String(req.headers['x-shiftwire-delivery']);
  const seen = receipts.filter((r) => r.deliveryId === deliveryId && r.step !== 'down').length;
  const steps = PLANS[plan]!.steps.filter((s) => s !== 'down');
  const step = steps[Math.min(seen, steps.length - 1)]!;
  receipts.push({ plan, deliveryId, step, signatureValid: verify(req, body) });
  if (step === 'hang') return; // never answers; the sender's timeout decides
  if (step === 'late-200') return void setTimeout(() => res.writeHead(200).end('ok'), TIMEOUT_MS * 3);
  if (step === 'reset') return void req.socket.destroy(); // took the body, then the connection dies
  if (step === 'cut-200') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
    res.write('accepted, and then the receiver falls over');
    return void setTimeout(() => res.socket?.destroy(), 20);
  }
  res.writeHead(step, { 'content-type': 'text/plain' }).end(step === 200 ? 'ok' : 'no');
}

function startService(): DigestService {
  return createDigestService({
    db,
    log: silentLogger(),
    publicUrl: 'https://shiftwire.example',
    allowPrivateNetwork: true,
    mailFrom: 'x@example.org',
    sendEmptyDefault: false,
    webhookTimeoutMs: TIMEOUT_MS,
    retry: { maxAttempts: MAX_ATTEMPTS },
  });
}

beforeAll(async () => {
  h = ingestHarness();
  db = h.db;
  // One server; "down" is a port nobody listens on, so those requests are refused at connect.
  server = createServer((req, res) => void receive(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const downPort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));

  seedFeeds(db, [{ id: 'reuters', name: 'Reuters' }]);
  seedStories(db, [
    { feed: 'reuters', title: 'Nvidia unveils Blackwell Ultra', publishedAt: '2025-01-02T06:00:00.000Z', companies: ['nvidia'], firstSeenAt: '2025-01-02T06:30:00Z' },
    { feed: 'reuters', title: 'Nvidia and DeepSeek in talks', publishedAt: '2025-01-02T07:00:00.000Z', companies: ['nvidia', 'deepseek'], firstSeenAt: '2025-01-02T07:10:00Z' },
  ]);
  for (const plan of Object.keys(PLANS)) {
    for (let copy = 0; copy < 2; copy++) {
      const hookPort = plan === 'down-then-up' ? downPort : port;
      const row = insertSubscription(db, { name: `${plan} ${copy}`, webhookUrl: `http://127.0.0.1:${hookPort}/hook/${plan}/${copy}`, webhookSecret: SECRET });
      subscriptions.set(row.id, plan);
    }
  }
  service = startService();
  const built = await service.runDue(t0);
  expect(built.filter((b) => b.outcome === 'built')).toHaveLength(subscriptions.size);

  // Retry rounds, seven simulated hours apart (longer than the backoff cap), until nothing is pending.
  for (let rounds = 0; rounds < MAX_ATTEMPTS + 2; rounds++) {
    if (rounds === PLANS['down-then-up']!.steps.filter((s) => s === 'down').length) {
      // The receiver comes back up: point its subscriptions at the live server (same path).
      db.prepare("UPDATE subscriptions SET webhook_url = replace(webhook_url, ':' || ? || '/', ':' || ? || '/') WHERE webhook_url LIKE '%/down-then-up/%'").run(String(downPort), String(port));
    }
    const now = new Date(t0.getTime() + rounds * 7 * 3_600_000);
    await service.deliverPending(now);
    if (rounds === 2) {
      // A restart half-way: the retry schedule lives in the database.
      service.close();
      db.close();
      db = openDatabase(h.file);
      service = startService();
    }
  }
  await new Promise((r) => setTimeout(r, TIMEOUT_MS * 4)); // late answers land
  app = await buildApp({ db, config: { adminToken: ADMIN, rateLimitMax: 0, publicUrl: 'https://shiftwire.example' }, log: silentLogger(), clock: () => new Date(), ingester: h.ingester, tagger: h.tagger });
  await app.listen({ port: 0, host: '127.0.0.1' });
}, 60_000);

afterAll(async () => {
  service?.close();
  await app?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  if (db?.open) db.close();
  await h?.close();
});

interface ApiDelivery { id: string; status: string; attempts: number; maxAttempts: number; lastError: string | null; lastStatus: number | null }

async function deliveriesOf(subscriptionId: string): Promise<ApiDelivery[]> {
  const { port: apiPort } = app.server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/subscriptions/${subscriptionId}/digests`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { digests: Array<{ deliveries: ApiDelivery[] }> };
  expect(body.digests).toHaveLength(1);
  return body.digests[0]!.deliveries;
}

/** An answer the sender saw as 2xx: a plain 200, or a 200 status line whose body was then cut. */
const accepted = (r: Receipt) => r.step === 200 || r.step === 'cut-200';
/** Copies the sender could not know had arrived: no answer before its timeout, or a reset. */
const unknowable = (r: Receipt) => r.step === 'hang' || r.step === 'late-200' || r.step === 'reset';

describe('digest delivery under faults', () => {
  it('signs every attempt and leaves nothing pending', () => {
    expect(receipts.length).toBeGreaterThan(subscriptions.size);
    expect(receipts.every((r) => r.signatureValid)).toBe(true);
    expect(db.prepare("SELECT count(*) FROM deliveries WHERE status = 'pending'").pluck().get()).toBe(0);
  });

  it('delivers every digest whose receiver recovered exactly once, and never again after it was accepted', async () => {
    let duplicates = 0;
    for (const [subId, plan] of subscriptions) {
      if (!PLANS[plan]!.recovers) continue;
      const [delivery] = await deliveriesOf(subId);
      expect(delivery, `${plan}: ${JSON.stringify(delivery)}`).toMatchObject({ status: "delivered", lastError: null });
      const mine = receipts.filter((r) => r.deliveryId === delivery!.id);
      expect(mine.filter(accepted), plan).toHaveLength(1);
      expect(accepted(mine.at(-1)!), `${plan}: something arrived after the acceptance`).toBe(true);
      // Every earlier copy was either refused by the receiver (500) or one the sender could not know about.
      for (const r of mine.slice(0, -1)) expect(r.step === 500 || unknowable(r), `${plan}: ${String(r.step)}`).toBe(true);
      duplicates += mine.slice(0, -1).filter(unknowable).length;
      expect(delivery!.attempts, plan).toBe(mine.length + (plan === 'down-then-up' ? 2 : 0));
    }
    const ids = new Set(receipts.filter(accepted).map((r) => r.deliveryId));
    expect(ids.size).toBe([...subscriptions.values()].filter((p) => PLANS[p]!.recovers).length);
    console.info(`[digests] ${subscriptions.size} digests, ${receipts.length} webhook requests received, ${ids.size} accepted exactly once, ${duplicates} copies the sender could not know had arrived`);
  });

  it('marks every digest whose receiver never recovered as failed, with its reason, through the API', async () => {
    for (const [subId, plan] of subscriptions) {
      if (PLANS[plan]!.recovers) continue;
      const [delivery] = await deliveriesOf(subId);
      expect(delivery, plan).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, maxAttempts: MAX_ATTEMPTS });
      expect(delivery!.lastError, plan).toMatch(PLANS[plan]!.reason!);
      expect(receipts.filter((r) => r.deliveryId === delivery!.id)).toHaveLength(MAX_ATTEMPTS);
    }
  });
});
