import { spawn, type ChildProcess } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDigestStore } from '../src/db/digests.js';
import { migrate } from '../src/db/migrate.js';
import { openDatabase, type Db } from '../src/db/open.js';
import type { SubscriptionRow } from '../src/db/subscriptions.js';
import { createDigestService, type DigestService } from '../src/digests/index.js';
import { silentLogger } from '../src/shared/log.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { repoRoot, tempDb } from './helpers/harness.js';
import { seedFeeds, seedStories } from './helpers/seed.js';
import { insertSubscription } from './helpers/subscriptions.js';

/**
 * Delivery is at-least-once with an idempotency key: a crash can make a receiver see a digest twice,
 * always under the same X-Shiftwire-Delivery id, and never lose it.
 */
const t0 = new Date('2025-01-02T08:00:00Z');
const after = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

let db: Db;
let file: string;
let cleanup: () => void;
let receiver: FeedServer;
let received: Array<IncomingMessage['headers']>;
let service: DigestService | undefined;

const open = () => {
  db = openDatabase(file);
  migrate(db);
  return createDigestService({ db, log: silentLogger(), publicUrl: 'https://shiftwire.example', allowPrivateNetwork: true, mailFrom: 'x@example.org', sendEmptyDefault: false });
};
const crash = () => {
  service?.close(); // the process dies: nothing more is written
  db.close();
};

beforeEach(async () => {
  ({ db, file, cleanup } = tempDb());
  receiver = await startFeedServer();
  received = [];
  seedFeeds(db, [{ id: 'reuters', name: 'Reuters' }]);
  seedStories(db, [{ feed: 'reuters', title: 'Nvidia unveils Blackwell Ultra', publishedAt: '2025-01-02T06:00:00.000Z', companies: ['nvidia'], firstSeenAt: '2025-01-02T06:00:00Z' }]);
});

afterEach(async () => {
  service?.close();
  service = undefined;
  await receiver.close();
  if (db.open) db.close();
  cleanup();
});

function subscribe(): SubscriptionRow {
  return insertSubscription(db, { webhookUrl: receiver.url('/hook'), webhookSecret: 'a-webhook-secret-of-some-length' });
}

describe('crash safety', () => {
  it('delivers exactly once from the database after a restart between building and delivering', async () => {
    receiver.route('/hook', (req, res) => {
      received.push(req.headers);
      res.writeHead(204).end();
    });
    const sub = subscribe();
    service = open();
    const [built] = await service.runDue(t0);
    expect(built).toMatchObject({ outcome: 'built' });
    crash(); // built and committed, not delivered

    service = open();
    expect(await service.runDue(after(10))).toEqual([]); // the window is not built again
    const [delivered] = await service.deliverPending(after(10));
    expect(delivered).toMatchObject({ status: 'delivered', attempts: 1, digestId: built!.digestId });
    crash();

    service = open();
    expect(await service.deliverPending(after(100_000))).toEqual([]);
    expect(received).toHaveLength(1);
    expect(received[0]!['x-shiftwire-delivery']).toBe(built!.deliveries[0]!.id);
    expect(createDigestStore(db).listDigests(sub.id, 10)).toHaveLength(1);
  });

  it('re-delivers with the same delivery id when the process dies after the receiver got it, before recording', async () => {
    let child: ChildProcess | undefined;
    receiver.route('/hook', (req, res) => {
      received.push(req.headers);
      if (received.length === 1) {
        child?.kill('SIGKILL'); // the receiver has the digest; the sender dies before it hears back
        child?.once('exit', () => res.writeHead(200).end());
        return;
      }
      res.writeHead(200).end();
    });
    subscribe();
    service = open();
    const [built] = await service.runDue(t0);
    const deliveryId = built!.deliveries[0]!.id;
    service.close();
    service = undefined;

    const script = `
      import { openDatabase } from './src/db/open.js';
      import { createDigestService } from './src/digests/index.js';
      import { silentLogger } from './src/shared/log.js';
      const db = openDatabase(process.env.DB_FILE);
      const service = createDigestService({ db, log: silentLogger(), publicUrl: 'https://shiftwire.example', allowPrivateNetwork: true, mailFrom: 'x@example.org', sendEmptyDefault: false });
      await service.deliverPending(new Date(process.env.NOW));
      process.stdout.write('recorded\\n');`;
    child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      env: { ...process.env, DB_FILE: file, NOW: t0.toISOString() },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    const signal = await new Promise((resolve) => child!.on('exit', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGKILL');
    expect(output).not.toContain('recorded');
    expect(received).toHaveLength(1);

    // The attempt was counted and leased before it started; the lease keeps a possibly still running
    // attempt from being doubled, and once it runs out the delivery is due again.
    expect(createDigestStore(db).getDelivery(deliveryId)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: after(300).toISOString() });
    service = open();
    expect(await service.deliverPending(after(60))).toEqual([]);
    const [again] = await service.deliverPending(after(300));
    expect(again).toMatchObject({ status: 'delivered', attempts: 2, deliveryId });
    expect(received.map((h) => h['x-shiftwire-delivery'])).toEqual([deliveryId, deliveryId]);
  });
});
