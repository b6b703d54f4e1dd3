import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { createSubscriptionStore, type SubscriptionRow } from '../src/db/subscriptions.js';
import { createDigestService, type DigestService } from '../src/digests/index.js';
import { silentLogger } from '../src/shared/log.js';
import { ingestHarness, type IngestHarness } from './helpers/harness.js';
import { seedFeeds, seedStories } from './helpers/seed.js';
import { insertSubscription } from './helpers/subscriptions.js';

const ADMIN = 'admin-token-for-digest-tests';
const MAIL_FROM = 'Shiftwire <digests@shiftwire.example>';
const t0 = new Date('2025-01-02T08:00:00Z');

let h: IngestHarness;
let smtp: SMTPServer;
let smtpUrl: string;
let inbox: ParsedMail[];
/** SMTP reply codes to refuse the next messages with (then accept). */
let refusals: number[];
let app: FastifyInstance;
let baseUrl: string;
let service: DigestService;

beforeEach(async () => {
  h = ingestHarness();
  seedFeeds(h.db, [{ id: 'reuters', name: 'Reuters' }, { id: 'verge', name: 'The Verge' }]);
  inbox = [];
  refusals = [];
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then((mail) => {
        const code = refusals.shift();
        if (code !== undefined) return callback(Object.assign(new Error('mailbox busy, try later'), { responseCode: code }));
        inbox.push(mail);
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  // The API runs first so the links in the mail (PUBLIC_URL) point at it.
  app = await buildApp({ db: h.db, config: { adminToken: ADMIN, rateLimitMax: 0, publicUrl: 'http://placeholder' }, log: silentLogger(), clock: () => new Date(), ingester: h.ingester, tagger: h.tagger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  service = createDigestService({ db: h.db, log: silentLogger(), publicUrl: baseUrl, allowPrivateNetwork: true, smtpUrl, mailFrom: MAIL_FROM, sendEmptyDefault: false });
});

afterEach(async () => {
  service.close();
  await app.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await h.close();
});

function subscribe(): SubscriptionRow {
  const row = insertSubscription(h.db, { name: 'Nvidia & friends daily', email: 'reader@example.org' });
  seedStories(h.db, [
    { feed: 'reuters', title: 'Nvidia shares fall after DeepSeek R1', url: 'https://news.example/nvidia-falls', publishedAt: '2025-01-02T06:00:00.000Z', companies: ['nvidia'], firstSeenAt: '2025-01-02T06:30:00Z' },
    { feed: 'verge', title: 'Nvidia <script>alert(1)</script> & "friends"', url: 'javascript:alert(1)', summary: 'A <b>bold</b> claim', publishedAt: '2025-01-02T05:00:00.000Z', companies: ['nvidia'], firstSeenAt: '2025-01-02T06:00:00Z' },
  ]);
  return row;
}

const header = (mail: ParsedMail, name: string) => mail.headerLines.find((l) => l.key === name)?.line.replace(/^[^:]+:\s*/, '');

describe('email delivery', () => {
  it('sends HTML and text parts with List-Unsubscribe headers, everything escaped, links only http(s)', async () => {
    const sub = subscribe();
    await service.runDue(t0);
    const [delivery] = await service.deliverPending(t0);
    expect(delivery).toMatchObject({ channel: 'email', target: 'reader@example.org', status: 'delivered', attempts: 1 });
    expect(inbox).toHaveLength(1);
    const mail = inbox[0]!;
    expect(mail.subject).toBe('Nvidia & friends daily — 2 stories (1 Jan – 2 Jan)');
    expect(mail.from?.value).toEqual([{ name: 'Shiftwire', address: 'digests@shiftwire.example' }]);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('reader@example.org');
    expect(mail.messageId).toBe(`<${delivery!.deliveryId}@127.0.0.1>`);
    const unsubscribe = `${baseUrl}/api/v1/unsubscribe/${sub.token}`;
    expect(header(mail, 'list-unsubscribe')).toBe(`<${unsubscribe}>`);
    expect(header(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');

    const html = String(mail.html);
    expect(html).toContain('<a href="https://news.example/nvidia-falls">Nvidia shares fall after DeepSeek R1</a>');
    expect(html).toContain('Nvidia &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot;');
    expect(html).toContain('A &lt;b&gt;bold&lt;/b&gt; claim');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('javascript:');
    expect(html).toContain(`href="${unsubscribe}"`);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
    expect(hrefs.every((u) => /^https?:\/\//.test(u))).toBe(true);

    expect(mail.text).toContain('1. Nvidia shares fall after DeepSeek R1');
    expect(mail.text).toContain('https://news.example/nvidia-falls');
    expect(mail.text).toContain(`Unsubscribe: ${unsubscribe}`);
    expect(mail.text).not.toContain('javascript:');
  });

  it('has an unsubscribe link that asks first on GET and turns the subscription off on a one-click POST', async () => {
    const sub = subscribe();
    await service.runDue(t0);
    await service.deliverPending(t0);
    const link = /^<(.+)>$/.exec(header(inbox[0]!, 'list-unsubscribe')!)![1]!;

    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page.text()).toMatch(/<form method="post">.*Unsubscribe<\/button>/s);
    expect(createSubscriptionStore(h.db).getSubscription(sub.id)!.enabled).toBe(true); // a GET (a mail scanner) changes nothing

    // RFC 8058: what a mail client sends for one-click unsubscribe.
    const post = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(post.status).toBe(200);
    expect(await post.text()).toContain('You are unsubscribed from “Nvidia &amp; friends daily”');
    const res = await fetch(`${baseUrl}/api/v1/subscriptions/${sub.id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(await res.json()).toMatchObject({ enabled: false, nextDigestAt: null });

    seedStories(h.db, [{ feed: 'reuters', title: 'Nvidia news after unsubscribing', publishedAt: '2025-01-02T10:00:00.000Z', companies: ['nvidia'], firstSeenAt: '2025-01-02T10:00:00Z' }]);
    expect(await service.runDue(new Date('2025-01-03T08:00:00Z'))).toEqual([]);
    expect(await service.deliverPending(new Date('2025-01-03T08:00:00Z'))).toEqual([]);
    expect(inbox).toHaveLength(1);
    expect((await fetch(link, { method: 'POST' })).status).toBe(200); // again: still fine
    expect((await fetch(link.replace(sub.token, 'not-a-token'))).status).toBe(404);
  });

  it('retries a refused message with the same rules and the same Message-ID, and cancels it once unsubscribed', async () => {
    const sub = subscribe();
    refusals = [451];
    await service.runDue(t0);
    const [first] = await service.deliverPending(t0);
    expect(first).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: '2025-01-02T08:01:00.000Z' });
    expect(first!.error).toMatch(/mailbox busy/);
    const [second] = await service.deliverPending(new Date('2025-01-02T08:01:00Z'));
    expect(second).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(inbox.map((m) => m.messageId)).toEqual([`<${first!.deliveryId}@127.0.0.1>`]);
    const listed = (await (await fetch(`${baseUrl}/api/v1/subscriptions/${sub.id}/digests`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
      digests: Array<{ deliveries: Array<Record<string, unknown>> }>;
    };
    expect(listed.digests[0]!.deliveries[0]).toMatchObject({ channel: 'email', status: 'delivered', attempts: 2, lastStatus: 250, lastError: null });

    // A digest still pending when its subscription is turned off is not sent.
    seedStories(h.db, [{ feed: 'reuters', title: 'Nvidia again', publishedAt: '2025-01-02T10:00:00.000Z', companies: ['nvidia'], firstSeenAt: '2025-01-02T10:00:00Z' }]);
    await service.runDue(new Date('2025-01-03T08:00:00Z'));
    await fetch(`${baseUrl}/api/v1/unsubscribe/${sub.token}`, { method: 'POST' });
    const [cancelled] = await service.deliverPending(new Date('2025-01-03T08:00:00Z'));
    expect(cancelled).toMatchObject({ status: 'cancelled', error: 'the subscription was turned off before this digest went out' });
    expect(inbox).toHaveLength(1);
  });
});
