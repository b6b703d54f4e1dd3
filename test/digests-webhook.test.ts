import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { openDatabase, type Db } from '../src/db/open.js';
import type { SubscriptionRow } from '../src/db/subscriptions.js';
import { createDigestService, type DigestService, type DigestServiceDeps } from '../src/digests/index.js';
import { silentLogger } from '../src/shared/log.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { ingestHarness, type IngestHarness } from './helpers/harness.js';
import { seedFeeds, seedStories } from './helpers/seed.js';
import { insertSubscription } from './helpers/subscriptions.js';

const SECRET = 'a-webhook-secret-of-some-length';
const ADMIN = 'admin-token-for-digest-tests';
const t0 = new Date('2025-01-02T08:00:00Z');
const after = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  signatureValid: boolean;
}

/** What a receiver does: check the signature over `${timestamp}.${raw body}`, in constant time. */
function verify(headers: IncomingMessage['headers'], body: string, secret: string): boolean {
  const timestamp = String(headers['x-shiftwire-timestamp'] ?? '');
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`);
  const given = Buffer.from(String(headers['x-shiftwire-signature'] ?? ''));
  const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
  return fresh && given.length === expected.length && timingSafeEqual(given, expected);
}

let h: IngestHarness;
let db: Db;
let receiver: FeedServer;
let received: Received[];
let service: DigestService;
let app: FastifyInstance | undefined;

function startService(overrides: Partial<DigestServiceDeps> = {}): DigestService {
  return createDigestService({ db, log: silentLogger(), publicUrl: 'https://shiftwire.example', allowPrivateNetwork: true, mailFrom: 'x@example.org', sendEmptyDefault: false, webhookTimeoutMs: 500, ...overrides });
}

/** A receiver at /hook that records every request and answers with the next behaviour of `plan`. */
function receive(plan: Array<number | 'hang' | 'reset' | 'redirect' | 'busy'>) {
  let n = 0;
  receiver.route('/hook', async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    received.push({ headers: req.headers, body, signatureValid: verify(req.headers, body, SECRET) });
    const step = plan[Math.min(n++, plan.length - 1)]!;
    if (step === 'hang') return; // never answers: the sender's timeout decides
    if (step === 'reset') return void req.socket.destroy();
    if (step === 'redirect') return void res.writeHead(302, { location: '/elsewhere' }).end();
    if (step === 'busy') return void res.writeHead(503, { 'retry-after': '600' }).end();
    res.writeHead(step, { 'content-type': 'text/plain' }).end(step < 300 ? 'ok' : 'no');
  });
}

function subscribe(webhookUrl: string): SubscriptionRow {
  const row = insertSubscription(db, { webhookUrl, webhookSecret: SECRET });
  seedStories(db, [
    { feed: 'reuters', title: 'Nvidia shares fall after DeepSeek R1', publishedAt: '2025-01-02T06:00:00.000Z', companies: ['nvidia', 'deepseek'], themes: ['investment'], firstSeenAt: '2025-01-02T06:30:00Z' },
  ]);
  return row;
}

async function digestsApi(subId: string) {
  app ??= await buildApp({ db, config: { adminToken: ADMIN, rateLimitMax: 0, publicUrl: 'https://shiftwire.example' }, log: silentLogger(), clock: () => new Date(), ingester: h.ingester, tagger: h.tagger });
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/subscriptions/${subId}/digests`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { digests: Array<{ id: string; deliveries: Array<Record<string, unknown>> }> };
}

beforeEach(async () => {
  h = ingestHarness();
  db = h.db;
  seedFeeds(db, [{ id: 'reuters', name: 'Reuters' }]);
  receiver = await startFeedServer();
  received = [];
  app = undefined;
});

afterEach(async () => {
  service?.close();
  await app?.close();
  await receiver.close();
  if (db.open) db.close();
  await h.close();
});

describe('webhook delivery', () => {
  it('posts the digest signed, retries 500/timeout/redirect with exponential backoff across a restart, then succeeds', async () => {
    receive([500, 'hang', 'redirect', 200]);
    const sub = subscribe(receiver.url('/hook'));
    service = startService();
    const [built] = await service.runDue(t0);
    expect(built).toMatchObject({ outcome: 'built', deliveries: [{ channel: 'webhook', target: receiver.url('/hook') }] });

    const [first] = await service.deliverPending(t0);
    expect(first).toMatchObject({ status: 'pending', attempts: 1, error: 'the receiver answered HTTP 500', nextAttemptAt: after(60).toISOString() });
    expect(await service.deliverPending(after(59))).toEqual([]);
    const [second] = await service.deliverPending(after(60));
    expect(second).toMatchObject({ status: 'pending', attempts: 2, nextAttemptAt: after(60 + 120).toISOString() });
    expect(second!.error).toMatch(/no response within 0\.5s/);

    // "Restart": the process goes away; a new one picks the schedule up from the database.
    service.close();
    db.close();
    db = openDatabase(h.file);
    service = startService();
    expect(await service.deliverPending(after(179))).toEqual([]);
    const [third] = await service.deliverPending(after(180));
    expect(third).toMatchObject({ status: 'pending', attempts: 3, nextAttemptAt: after(180 + 240).toISOString() });
    expect(third!.error).toMatch(/answered 302 with a redirect, which is not followed/);
    const [fourth] = await service.deliverPending(after(420));
    expect(fourth).toMatchObject({ status: 'delivered', attempts: 4, error: null, nextAttemptAt: null });
    expect(await service.deliverPending(after(100_000))).toEqual([]);

    expect(receiver.requests.filter((r) => r.path === '/elsewhere')).toEqual([]);
    expect(received).toHaveLength(4);
    expect(received.every((r) => r.signatureValid)).toBe(true);
    const ids = new Set(received.map((r) => r.headers['x-shiftwire-delivery']));
    expect(ids).toEqual(new Set([first!.deliveryId]));
    expect(new Set(received.map((r) => r.body)).size).toBe(1); // the same bytes on every attempt

    const r = received[3]!;
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['user-agent']).toMatch(/^Shiftwire\//);
    const payload = JSON.parse(r.body) as Record<string, any>;
    expect(payload).toMatchObject({
      id: first!.deliveryId,
      subscription: { id: sub.id, name: 'Nvidia daily' },
      digest: { id: built!.digestId, windowStart: '2025-01-01T08:00:00.000Z', windowEnd: '2025-01-02T08:00:00.000Z', generatedAt: t0.toISOString() },
    });
    expect(payload.groups).toEqual([
      {
        title: 'Nvidia shares fall after DeepSeek R1',
        url: expect.stringMatching(/^https:\/\/news\.example\//),
        score: 0.9,
        sources: [{ id: 'reuters', name: 'Reuters' }],
        stories: [
          {
            id: expect.stringMatching(/^\d+$/),
            url: expect.any(String),
            title: 'Nvidia shares fall after DeepSeek R1',
            summary: 'Summary of Nvidia shares fall after DeepSeek R1',
            publishedAt: '2025-01-02T06:00:00.000Z',
            source: { id: 'reuters', name: 'Reuters' },
            companies: ['nvidia', 'deepseek'],
            themes: ['investment'],
          },
        ],
      },
    ]);
    const listed = await digestsApi(sub.id);
    expect(listed.digests[0]!.deliveries).toEqual([
      expect.objectContaining({ id: first!.deliveryId, channel: 'webhook', status: 'delivered', attempts: 4, lastStatus: 200, lastError: null, deliveredAt: after(420).toISOString() }),
    ]);
  });

  it('marks the delivery failed after the attempt limit, with its last error, visible through the API', async () => {
    receive(['reset']);
    const sub = subscribe(receiver.url('/hook'));
    service = startService({ retry: { maxAttempts: 3 } });
    await service.runDue(t0);
    expect((await service.deliverPending(t0))[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect((await service.deliverPending(after(60)))[0]).toMatchObject({ status: 'pending', attempts: 2 });
    const [last] = await service.deliverPending(after(180));
    expect(last).toMatchObject({ status: 'failed', attempts: 3, nextAttemptAt: null, error: 'the server closed the connection early' });
    expect(await service.deliverPending(after(100_000))).toEqual([]);
    expect(received).toHaveLength(3);
    const listed = await digestsApi(sub.id);
    expect(listed.digests[0]!.deliveries[0]).toMatchObject({ status: 'failed', attempts: 3, maxAttempts: 3, lastStatus: null, lastError: 'the server closed the connection early', nextAttemptAt: null });
  });

  it('waits longer when the receiver asks to with Retry-After', async () => {
    receive(['busy', 200]);
    subscribe(receiver.url('/hook'));
    service = startService();
    await service.runDue(t0);
    const [busy] = await service.deliverPending(t0);
    expect(busy).toMatchObject({ status: 'pending', attempts: 1, error: 'the receiver answered HTTP 503', nextAttemptAt: after(600).toISOString() });
    expect(await service.deliverPending(after(599))).toEqual([]);
    expect((await service.deliverPending(after(600)))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('obeys the private-address rule: refused at once, by literal address or by what a name resolves to', async () => {
    receive([200]);
    const literal = subscribe(receiver.url('/hook'));
    service = startService({ allowPrivateNetwork: false });
    await service.runDue(t0);
    const [refused] = await service.deliverPending(t0);
    expect(refused).toMatchObject({ subscriptionId: literal.id, status: 'failed', attempts: 1 });
    expect(refused!.error).toMatch(/refused: 127\.0\.0\.1 is a loopback address/);

    // A host name is judged by the address it resolves to, when connecting.
    const { port } = new URL(receiver.origin);
    const named = subscribe(`http://localhost:${port}/hook`);
    service.close();
    service = startService({ allowPrivateNetwork: false, addressPolicy: (ip) => (ip === '127.0.0.1' || ip === '::1' ? 'a private address (test policy)' : null) });
    await service.runDue(after(86_400));
    const outcomes = await service.deliverPending(after(86_400));
    expect(outcomes.find((o) => o.subscriptionId === named.id)!.error).toMatch(/refused: localhost resolves to .*a private address \(test policy\)/);
    expect(received).toEqual([]);
  });
});
