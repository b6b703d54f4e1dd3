/**
 * Feeds that attack the reader (issue 7, part 3): each on its own loopback address (127.0.0.x), so the
 * ingester, which never fetches two feeds of one host at once, meets them all at the same time.
 * Every attack says what the feed's state must show afterwards.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface Attack {
  id: string;
  url: string;
  what: string;
  /** The error code the feed must end with, or 'stored' when it must ingest safely. */
  expect: { code: string; message: RegExp } | { stored: true };
}

export interface HostileServers {
  attacks: Attack[];
  /** Bytes of body each attack server managed to send (the 100 MB one must be cut off early). */
  bytesSent: Map<string, number>;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, sent: (n: number) => void) => void;

const RSS_HEAD = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Hostile</title><link>https://hostile.example/</link>';
const item = (title: string, n: number, description = 'OpenAI and Nvidia news.') =>
  `<item><title>${title}</title><link>https://hostile.example/${n}</link><guid>h-${n}</guid><description>${description}</description></item>`;

/** Writes `total` bytes of `chunk` (forever when total is Infinity), honouring backpressure, stopping when the client goes. */
function pump(res: ServerResponse, chunk: Buffer, total: number, sent: (n: number) => void, pauseMs = 0): void {
  let written = 0;
  let closed = false;
  res.on('close', () => (closed = true));
  const step = () => {
    while (!closed && written < total) {
      written += chunk.length;
      sent(chunk.length);
      const ok = res.write(chunk);
      if (pauseMs > 0) return void setTimeout(step, pauseMs);
      if (!ok) return void res.once('drain', step);
    }
    if (!closed) res.end('</channel></rss>');
  };
  step();
}

/** What each attack does, as HTTP handlers. Raw-socket attacks are built separately below. */
function httpAttacks(scale: number): Array<{ id: string; what: string; expect: Attack['expect']; handler: Handler; path?: string }> {
  const deepXml = `${RSS_HEAD}${'<x>'.repeat(1_000_000)}${'</x>'.repeat(1_000_000)}</channel></rss>`;
  const deepJson = `{"version":"https://jsonfeed.org/version/1.1","title":"Deep","items":[{"id":"1","url":"https://hostile.example/j","title":"OpenAI deep JSON","content_html":"<p>x</p>","_x":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}]}`;
  const depth = Math.round(200_000 * scale);
  const deepHtml = `${RSS_HEAD}${item('Nvidia nested markup', 1, `${'&lt;div&gt;'.repeat(depth)}hi${'&lt;/div&gt;'.repeat(depth)}`)}</channel></rss>`;
  const bigTitle = `${RSS_HEAD}${item(`OpenAI ${'very long title '.repeat(65_536)}`, 1)}</channel></rss>`;
  const manyItems = `${RSS_HEAD}${Array.from({ length: Math.round(50_000 * scale) }, (_, i) => item(`Nvidia item ${i}`, i, '')).join('')}</channel></rss>`;
  const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024, ' '));
  const body = (text: string | Buffer, type = 'application/rss+xml'): Handler => (_req, res, sent) => {
    sent(text.length);
    res.writeHead(200, { 'content-type': type }).end(text);
  };
  return [
    {
      id: 'atk-body-100mb',
      what: 'a 100 MB body, streamed without Content-Length',
      expect: { code: 'FEED_TOO_LARGE', message: /larger than 10 MB/ },
      handler: (_req, res, sent) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        res.write(`${RSS_HEAD}<item><title>OpenAI</title><description>`);
        pump(res, Buffer.alloc(64 * 1024, 'a'), 100 * 1024 * 1024, sent);
      },
    },
    {
      id: 'atk-length-100mb',
      what: 'Content-Length: 100 MB',
      expect: { code: 'FEED_TOO_LARGE', message: /larger than 10 MB/ },
      handler: (_req, res, sent) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-length': String(100 * 1024 * 1024) });
        pump(res, Buffer.alloc(64 * 1024, 'a'), 100 * 1024 * 1024, sent);
      },
    },
    { id: 'atk-gzip-bomb', what: '200 MB of spaces gzipped to 200 KB', expect: { code: 'FEED_TOO_LARGE', message: /larger than 10 MB/ }, handler: (_req, res, sent) => {
      sent(bomb.length);
      res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' }).end(bomb);
    } },
    {
      id: 'atk-endless-fast',
      what: 'an endless chunked stream, as fast as it is read',
      expect: { code: 'FEED_TOO_LARGE', message: /larger than 10 MB/ },
      handler: (_req, res, sent) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        res.write(RSS_HEAD);
        pump(res, Buffer.from(item('OpenAI again', 0).repeat(500)), Number.POSITIVE_INFINITY, sent);
      },
    },
    {
      id: 'atk-endless-slow',
      what: 'an endless chunked stream, a little every 100 ms',
      expect: { code: 'FEED_TIMEOUT', message: /did not finish within \d/ },
      handler: (_req, res, sent) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        res.write(RSS_HEAD);
        pump(res, Buffer.from(item('OpenAI again', 0)), Number.POSITIVE_INFINITY, sent, 100);
      },
    },
    { id: 'atk-deep-xml', what: 'XML nested 1,000,000 levels deep', expect: { code: 'FEED_PARSE_FAILED', message: /nests elements more than \d+ deep/ }, handler: body(deepXml) },
    { id: 'atk-deep-json', what: 'a JSON Feed with an array nested 1,000,000 deep', expect: { stored: true }, handler: body(deepJson, 'application/feed+json') },
    { id: 'atk-deep-html', what: `escaped HTML nested ${depth.toLocaleString('en')} deep in a description`, expect: { stored: true }, handler: body(deepHtml) },
    { id: 'atk-title-1mb', what: 'a 1 MB title', expect: { stored: true }, handler: body(bigTitle) },
    { id: 'atk-items-50k', what: `${Math.round(50_000 * scale).toLocaleString('en')} items in one document`, expect: { stored: true }, handler: body(manyItems) },
    {
      id: 'atk-redirect-20',
      what: 'a 20-hop redirect chain',
      path: '/hop/0',
      expect: { code: 'FEED_FETCH_FAILED', message: /too many redirects/ },
      handler: (req, res) => {
        const n = Number(/\/hop\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
        res.writeHead(302, { location: n < 20 ? `/hop/${n + 1}` : '/final' }).end();
      },
    },
    {
      id: 'atk-reset-midbody',
      what: 'a connection reset in the middle of the body',
      expect: { code: 'FEED_FETCH_FAILED', message: /closed the connection early/ },
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        res.write(`${RSS_HEAD}${item('OpenAI', 1)}`);
        setTimeout(() => res.socket?.destroy(), 50);
      },
    },
    {
      id: 'atk-fake-gzip',
      what: 'Content-Encoding: gzip on a plain body',
      expect: { code: 'FEED_FETCH_FAILED', message: /could not decompress the gzip body/ },
      handler: (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' }).end(`${RSS_HEAD}</channel></rss>`),
    },
  ];
}

/** Raw TCP attacks that no HTTP library would produce. */
const rawAttacks: Array<{ id: string; what: string; expect: Attack['expect']; onConnection: (socket: Socket, sent: (n: number) => void) => void }> = [
  {
    id: 'atk-slow-headers',
    what: 'response headers sent one byte per second',
    expect: { code: 'FEED_TIMEOUT', message: /no response within \d/ },
    onConnection: (socket, sent) => {
      const text = `HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nX-Padding: ${'p'.repeat(200)}\r\n\r\n${RSS_HEAD}</channel></rss>`;
      let i = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || i >= text.length) return void clearInterval(timer);
        socket.write(text[i++]!);
        sent(1);
      }, 1000);
      socket.on('close', () => clearInterval(timer));
      socket.on('error', () => clearInterval(timer));
    },
  },
  {
    id: 'atk-header-flood',
    what: '1 MB of response headers',
    expect: { code: 'FEED_FETCH_FAILED', message: /headers that are too large/ },
    onConnection: (socket, sent) => {
      socket.on('error', () => {});
      const line = `X-Flood: ${'f'.repeat(1000)}\r\n`;
      socket.write('HTTP/1.1 200 OK\r\n');
      for (let i = 0; i < 1000 && !socket.destroyed; i++) {
        socket.write(line);
        sent(line.length);
      }
    },
  },
  {
    id: 'atk-not-http',
    what: 'an answer that is not HTTP at all',
    expect: { code: 'FEED_FETCH_FAILED', message: /invalid HTTP response|closed the connection early/ },
    onConnection: (socket, sent) => {
      socket.on('error', () => {});
      socket.on('data', () => {
        sent(20);
        socket.end('SSH-2.0-OpenSSH_9.6\r\n\u0000\u0001\u0002garbage\r\n\r\n');
      });
    },
  },
];

/**
 * Starts every attack on its own address 127.0.0.<first + i>. `scale` < 1 shrinks the two attacks that
 * only cost parsing time (nesting depth of the HTML, number of items) for the fast suite.
 */
export async function startHostileServers(first = 20, scale = 1): Promise<HostileServers> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const attacks: Attack[] = [];
  const bytesSent = new Map<string, number>();
  const sentFor = (id: string) => (n: number) => bytesSent.set(id, (bytesSent.get(id) ?? 0) + n);
  const listen = async (server: Server, host: string): Promise<number> => {
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    servers.push(server);
    return (server.address() as AddressInfo).port;
  };
  let host = first;
  for (const a of httpAttacks(scale)) {
    const address = `127.0.0.${host++}`;
    const server = createHttpServer((req, res) => a.handler(req, res, sentFor(a.id)));
    const port = await listen(server, address);
    attacks.push({ id: a.id, what: a.what, expect: a.expect, url: `http://${address}:${port}${a.path ?? '/feed.xml'}` });
  }
  for (const a of rawAttacks) {
    const address = `127.0.0.${host++}`;
    const server = createNetServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      a.onConnection(socket, sentFor(a.id));
    });
    const port = await listen(server, address);
    attacks.push({ id: a.id, what: a.what, expect: a.expect, url: `http://${address}:${port}/feed.xml` });
  }
  return {
    attacks,
    bytesSent,
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              if ('closeAllConnections' in s) (s as unknown as { closeAllConnections(): void }).closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}

/** A readable error: plain words, no stack trace, no leaked internals. */
export function isReadableError(message: string | null): boolean {
  return message !== null && message.length > 10 && message.length < 500 && !/\n\s+at |TypeError|ReferenceError|undefined|\[object|SQLITE/.test(message);
}
