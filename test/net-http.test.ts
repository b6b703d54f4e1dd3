import { describe, it, expect, afterEach } from 'vitest';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { boundedRequest } from '../src/net/http.js';
import type { BoundedRequestOptions } from '../src/net/http.js';
import { AppError } from '../src/shared/errors.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface TestServer {
  url: string;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  connections: number;
  server: http.Server | net.Server;
}

const servers: (http.Server | net.Server)[] = [];
const rawSockets: net.Socket[] = [];

afterEach(async () => {
  for (const socket of rawSockets.splice(0)) socket.destroy();
  await Promise.all(
    servers.splice(0).map((server) => {
      if (server instanceof http.Server) server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

async function listen(server: http.Server | net.Server, host: string): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

async function startServer(handler: Handler, host = '127.0.0.1'): Promise<TestServer> {
  const state: TestServer = { url: '', requests: [], connections: 0, server: http.createServer() };
  state.server.on('connection', () => (state.connections += 1));
  state.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      handler(req, res);
    });
  });
  state.url = await listen(state.server, host);
  return state;
}

/** A TCP server that hands each socket to `onSocket` and never speaks HTTP on its own. */
async function startRawServer(onSocket: (socket: net.Socket) => void): Promise<{ url: string; server: net.Server }> {
  const server = net.createServer((socket) => {
    rawSockets.push(socket);
    socket.resume(); // read what the client sends, so its close is noticed
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  return { url: await listen(server, '127.0.0.1'), server };
}

async function openConnections(server: http.Server | net.Server): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const count = await new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    if (count === 0) return 0;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return -1;
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
}

const open: BoundedRequestOptions = { allowPrivateNetwork: true };
const onlyLocalhost = (ip: string): string | null => (ip === '127.0.0.1' ? null : 'refused by the test policy');

describe('boundedRequest: bodies', () => {
  it('returns status, headers, body and the URL of a 200 answer, and leaves no socket open', async () => {
    const feed = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml', 'x-many': ['a', 'b'] });
      res.end('<rss/>');
    });
    const response = await boundedRequest(`${feed.url}/feed.xml?x=1`, open);
    expect(response).toMatchObject({ status: 200, url: `${feed.url}/feed.xml?x=1`, redirects: 0 });
    expect(response.body.toString()).toBe('<rss/>');
    expect(response.headers['content-type']).toBe('application/rss+xml');
    expect(response.headers['x-many']).toBe('a, b');
    expect(await openConnections(feed.server)).toBe(0);
  });

  it('returns non-2xx answers instead of throwing', async () => {
    const feed = await startServer((_req, res) => res.writeHead(500).end('oops'));
    const response = await boundedRequest(feed.url, open);
    expect(response.status).toBe(500);
    expect(response.body.toString()).toBe('oops');
  });

  it('sends a User-Agent naming Shiftwire and asks for compressed bodies', async () => {
    const feed = await startServer((_req, res) => res.end('ok'));
    await boundedRequest(feed.url, open);
    expect(feed.requests[0]?.headers['user-agent']).toMatch(/^Shiftwire\/\d+\.\d+\.\d+ /);
    expect(feed.requests[0]?.headers['accept-encoding']).toBe('gzip, deflate, br');
  });

  const text = '<feed>'.padEnd(5000, 'x') + '</feed>';
  it.each([
    ['gzip', zlib.gzipSync(text)],
    ['x-gzip', zlib.gzipSync(text)],
    ['deflate', zlib.deflateSync(text)],
    ['deflate', zlib.deflateRawSync(text)],
    ['br', zlib.brotliCompressSync(text)],
    ['gzip, br', zlib.brotliCompressSync(zlib.gzipSync(text))],
  ])('decodes a %s body', async (encoding, encoded) => {
    const feed = await startServer((_req, res) => res.writeHead(200, { 'content-encoding': encoding }).end(encoded));
    const response = await boundedRequest(feed.url, open);
    expect(response.body.toString()).toBe(text);
  });

  it('accepts an empty body labelled gzip', async () => {
    const feed = await startServer((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end());
    const response = await boundedRequest(feed.url, open);
    expect(response.body.length).toBe(0);
  });

  it('fails on a corrupt gzip body', async () => {
    const feed = await startServer((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end('not gzip at all'));
    const err = await failure(boundedRequest(feed.url, open));
    expect(err.code).toBe('FEED_FETCH_FAILED');
    expect(err.message).toMatch(/^could not decompress the gzip body/);
  });

  it('refuses an unknown content encoding', async () => {
    const feed = await startServer((_req, res) => res.writeHead(200, { 'content-encoding': 'compress' }).end('x'));
    const err = await failure(boundedRequest(feed.url, open));
    expect(err.message).toBe('the server used an unsupported content encoding: compress');
  });
});

describe('boundedRequest: size limits', () => {
  it('refuses a gzip bomb by its decompressed size', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100 * 1024);
    const feed = await startServer((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(bomb));
    const err = await failure(boundedRequest(feed.url, { ...open, maxBodyBytes: 1024 * 1024 }));
    expect(err.code).toBe('FEED_TOO_LARGE');
    expect(err.message).toBe('the body is larger than 1 MB');
    expect(err.details).toMatchObject({ url: `${feed.url}/` });
  });

  it('refuses a compression bomb as too large, not as a timeout, while the process is busy with other work', async () => {
    // Every turn of the event loop also spends 10 ms on other work (as a busy `serve` does): the decoder
    // must reach the 10 MB cap in few turns, well inside the fetch timeout.
    const bomb = zlib.gzipSync(Buffer.alloc(200 * 1024 * 1024, ' '));
    const feed = await startServer((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(bomb));
    const busy = setInterval(() => {
      const until = performance.now() + 10;
      while (performance.now() < until);
    }, 0);
    try {
      const err = await failure(boundedRequest(feed.url, { ...open, maxBodyBytes: 10 * 1024 * 1024, timeoutMs: 5_000 }));
      expect(err.code).toBe('FEED_TOO_LARGE');
    } finally {
      clearInterval(busy);
    }
  });

  it('refuses a Content-Length over the limit without reading the body', async () => {
    let bytesWritten = 0;
    let closed = false;
    const feed = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(100 * 1024 * 1024) });
      res.write(Buffer.alloc(1024), () => (bytesWritten += 1024));
      res.on('close', () => (closed = true));
    });
    const started = Date.now();
    const err = await failure(boundedRequest(feed.url, { ...open, maxBodyBytes: 10 * 1024 * 1024 }));
    expect(err.code).toBe('FEED_TOO_LARGE');
    expect(err.message).toBe('the body is larger than 10 MB');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(bytesWritten).toBeLessThanOrEqual(1024);
    await expect.poll(() => closed).toBe(true);
  });

  it('aborts a chunked body mid-stream once it passes the limit', async () => {
    let bytesWritten = 0;
    let closed = false;
    const feed = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => {
        res.write(Buffer.alloc(16 * 1024, 'a'));
        bytesWritten += 16 * 1024;
      }, 2);
      res.on('close', () => {
        closed = true;
        clearInterval(timer);
      });
    });
    const err = await failure(boundedRequest(feed.url, { ...open, maxBodyBytes: 100 * 1024 }));
    expect(err.code).toBe('FEED_TOO_LARGE');
    expect(err.message).toBe('the body is larger than 100 KB');
    await expect.poll(() => closed).toBe(true);
    expect(bytesWritten).toBeLessThan(10 * 1024 * 1024);
    expect(await openConnections(feed.server)).toBe(0);
  });

  it('accepts a body exactly at the limit', async () => {
    const feed = await startServer((_req, res) => res.end(Buffer.alloc(1000, 'z')));
    const response = await boundedRequest(feed.url, { ...open, maxBodyBytes: 1000 });
    expect(response.body.length).toBe(1000);
  });
});

describe('boundedRequest: timeouts and broken connections', () => {
  it('cuts a slow body at the total timeout', async () => {
    const feed = await startServer((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('x'), 50);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const err = await failure(boundedRequest(feed.url, { ...open, timeoutMs: 400 }));
    expect(err.code).toBe('FEED_TIMEOUT');
    expect(err.message).toBe('the response did not finish within 0.4s');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await openConnections(feed.server)).toBe(0);
  });

  it('cuts headers trickled one byte per second at the total timeout', async () => {
    const head = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    const { url, server } = await startRawServer((socket) => {
      let sent = 0;
      const timer = setInterval(() => socket.write(head.slice(sent, ++sent)), 1000);
      socket.on('close', () => clearInterval(timer));
      socket.on('error', () => clearInterval(timer));
    });
    const started = Date.now();
    const err = await failure(boundedRequest(url, { ...open, timeoutMs: 1500 }));
    expect(err.code).toBe('FEED_TIMEOUT');
    expect(err.message).toBe('no response within 1.5s');
    expect(Date.now() - started).toBeLessThan(2500);
    expect(await openConnections(server)).toBe(0);
  });

  it('gives up on a server that accepts and never answers', async () => {
    const { url, server } = await startRawServer(() => undefined);
    const err = await failure(boundedRequest(url, { ...open, timeoutMs: 300 }));
    expect(err.code).toBe('FEED_TIMEOUT');
    expect(err.message).toBe('no response within 0.3s');
    expect(await openConnections(server)).toBe(0);
  });

  it('counts a TLS handshake that never completes against the connect timeout', async () => {
    const { url, server } = await startRawServer(() => undefined);
    const httpsUrl = url.replace('http:', 'https:');
    const err = await failure(boundedRequest(httpsUrl, { ...open, connectTimeoutMs: 300, timeoutMs: 5000 }));
    expect(err.code).toBe('FEED_TIMEOUT');
    expect(err.message).toBe(`could not connect to ${new URL(url).host} within 0.3s`);
    expect(await openConnections(server)).toBe(0);
  });

  it('reports a TLS error when the server does not speak TLS', async () => {
    const feed = await startServer((_req, res) => res.end('plain'));
    const err = await failure(boundedRequest(feed.url.replace('http:', 'https:'), open));
    expect(err.code).toBe('FEED_FETCH_FAILED');
    expect(err.message).toMatch(/^TLS error: /);
  });

  it('reports connection refused', async () => {
    const { url, server } = await startRawServer(() => undefined);
    await new Promise((resolve) => server.close(resolve));
    const err = await failure(boundedRequest(url, open));
    expect(err.code).toBe('FEED_FETCH_FAILED');
    expect(err.message).toBe(`connection refused by ${new URL(url).host}`);
    expect(err.details).toMatchObject({ url: `${url}/` });
  });

  it('reports a server that closes the connection in the middle of the body', async () => {
    const feed = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only ten..', () => res.socket?.destroy());
    });
    const err = await failure(boundedRequest(feed.url, open));
    expect(err.message).toBe('the server closed the connection early');
  });

  it('stops when the caller aborts', async () => {
    const { url } = await startRawServer(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await failure(boundedRequest(url, { ...open, signal: controller.signal }));
    expect(err.message).toBe('the request was cancelled');
  });
});

describe('boundedRequest: redirects', () => {
  it('follows a chain of relative and absolute redirects within the limit and reports the final URL', async () => {
    const feed = await startServer((req, res) => {
      if (req.url === '/a') return res.writeHead(301, { location: '/b?step=2' }).end();
      if (req.url === '/b?step=2') return res.writeHead(303, { location: 'c' }).end();
      if (req.url === '/c') return res.writeHead(308, { location: `${feed.url}/final` }).end();
      res.end(`arrived at ${req.url}`);
    });
    const response = await boundedRequest(`${feed.url}/a`, { ...open, maxRedirects: 3 });
    expect(response).toMatchObject({ status: 200, url: `${feed.url}/final`, redirects: 3 });
    expect(response.body.toString()).toBe('arrived at /final');
    expect(feed.requests.map((r) => r.url)).toEqual(['/a', '/b?step=2', '/c', '/final']);
    expect(await openConnections(feed.server)).toBe(0);
  });

  it('returns a redirect status without a Location as an answer', async () => {
    const feed = await startServer((_req, res) => res.writeHead(302).end('no location'));
    const response = await boundedRequest(feed.url, open);
    expect(response.status).toBe(302);
  });

  it('stops a redirect loop', async () => {
    const feed = await startServer((req, res) => res.writeHead(302, { location: req.url === '/one' ? '/two' : '/one' }).end());
    const err = await failure(boundedRequest(`${feed.url}/one`, open));
    expect(err.code).toBe('FEED_FETCH_FAILED');
    expect(err.message).toBe(`the server redirects in a loop (back to ${feed.url}/one)`);
    expect(feed.requests).toHaveLength(2);
  });

  it('stops after more than maxRedirects redirects', async () => {
    const feed = await startServer((req, res) => res.writeHead(307, { location: `/n${Number(req.url?.slice(2) ?? 0) + 1}` }).end());
    const err = await failure(boundedRequest(`${feed.url}/n0`, { ...open, maxRedirects: 3 }));
    expect(err.code).toBe('FEED_FETCH_FAILED');
    expect(err.message).toBe('too many redirects (more than 3)');
    expect(err.details).toMatchObject({ url: `${feed.url}/n0`, redirectedTo: `${feed.url}/n3` });
    expect(feed.requests).toHaveLength(4);
    expect(await openConnections(feed.server)).toBe(0);
  });

  it.each(['ftp://example.com/feed', 'file:///etc/passwd', 'javascript:alert(1)'])('refuses a redirect to %s', async (location) => {
    const feed = await startServer((_req, res) => res.writeHead(302, { location }).end());
    const err = await failure(boundedRequest(feed.url, open));
    expect(err.code).toBe('FEED_BLOCKED');
    expect(err.message).toMatch(/^refused: only http and https URLs can be fetched \(the redirect target uses [a-z]+:\)$/);
  });

  it('does not carry credentials headers to another origin', async () => {
    const other = await startServer((_req, res) => res.end('other'));
    const feed = await startServer((_req, res) => res.writeHead(302, { location: other.url }).end());
    await boundedRequest(feed.url, { ...open, headers: { Authorization: 'Bearer secret', 'X-Keep': 'yes' } });
    expect(feed.requests[0]?.headers.authorization).toBe('Bearer secret');
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
    expect(other.requests[0]?.headers['x-keep']).toBe('yes');
  });
});

describe('boundedRequest: POST', () => {
  it('sends a POST with its body', async () => {
    const hook = await startServer((_req, res) => res.writeHead(201).end('created'));
    const body = JSON.stringify({ text: 'héllo' });
    const response = await boundedRequest(`${hook.url}/hook`, { ...open, method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(201);
    expect(hook.requests[0]).toMatchObject({ method: 'POST', url: '/hook', body });
    expect(hook.requests[0]?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(hook.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('does not follow a redirect answering a POST', async () => {
    const hook = await startServer((req, res) => (req.url === '/hook' ? res.writeHead(302, { location: '/elsewhere' }).end() : res.end()));
    const err = await failure(boundedRequest(`${hook.url}/hook`, { ...open, method: 'POST', body: 'x' }));
    expect(err.code).toBe('FEED_FETCH_FAILED');
    expect(err.message).toBe('the server answered 302 with a redirect, which is not followed for POST');
    expect(hook.requests.map((r) => r.url)).toEqual(['/hook']);
  });
});

describe('boundedRequest: URL and address rules', () => {
  it.each([
    ['http://127.0.0.1', '127.0.0.1', 'refused: 127.0.0.1 is a loopback address (set ALLOW_PRIVATE_NETWORK=true to allow)'],
    ['http://[::1]', '::1', 'refused: ::1 is a loopback address (set ALLOW_PRIVATE_NETWORK=true to allow)'],
    ['http://localhost', '127.0.0.1', /^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address \(set ALLOW_PRIVATE_NETWORK=true to allow\)$/],
  ])('refuses %s without connecting when private networks are not allowed', async (base, host, message) => {
    const feed = await startServer((_req, res) => res.end('secret'), host);
    const url = `${base}:${new URL(feed.url).port}/feed`;
    const err = await failure(boundedRequest(url, { allowPrivateNetwork: false }));
    expect(err.code).toBe('FEED_BLOCKED');
    expect(err.message).toMatch(message);
    expect(err.details).toMatchObject({ url: `${url}` });
    expect(feed.connections).toBe(0);
    expect(feed.requests).toHaveLength(0);
  });

  it('refuses the cloud metadata address', async () => {
    const err = await failure(boundedRequest('http://169.254.169.254/latest/meta-data/', { allowPrivateNetwork: false, timeoutMs: 1000 }));
    expect(err.code).toBe('FEED_BLOCKED');
    expect(err.message).toBe('refused: 169.254.169.254 is the cloud metadata address (never fetched, whatever ALLOW_PRIVATE_NETWORK says)');
  });

  it('refuses the cloud metadata address even with private networks allowed, also after a redirect', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[::ffff:169.254.169.254]/latest/meta-data/', 'http://[fd00:ec2::254]/latest/']) {
      const err = await failure(boundedRequest(url, { allowPrivateNetwork: true, timeoutMs: 1000 }));
      expect(err.code, url).toBe('FEED_BLOCKED');
      expect(err.message, url).toMatch(/is the cloud metadata address \(never fetched, whatever ALLOW_PRIVATE_NETWORK says\)$/);
    }
    const feed = await startServer((_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' }).end());
    const err = await failure(boundedRequest(feed.url, { allowPrivateNetwork: true, timeoutMs: 1000 }));
    expect(err.code).toBe('FEED_BLOCKED');
    expect(err.details).toMatchObject({ redirectedTo: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' });
    // Everything else private stays reachable in that mode: the loopback server answered the first hop.
    expect(feed.requests).toHaveLength(1);
  });

  it('refuses a redirect from an allowed address to a refused one, without connecting to it', async () => {
    const internal = await startServer((_req, res) => res.end('internal'), '127.0.0.2');
    const feed = await startServer((_req, res) => res.writeHead(302, { location: `${internal.url}/admin` }).end());
    const err = await failure(boundedRequest(feed.url, { allowPrivateNetwork: false, addressPolicy: onlyLocalhost }));
    expect(err.code).toBe('FEED_BLOCKED');
    expect(err.message).toBe('refused: 127.0.0.2 is refused by the test policy (set ALLOW_PRIVATE_NETWORK=true to allow)');
    expect(err.details).toMatchObject({ url: `${feed.url}/`, redirectedTo: `${internal.url}/admin` });
    expect(feed.requests).toHaveLength(1);
    expect(internal.connections).toBe(0);
  });

  it('checks a host name against the policy with the addresses it resolves to', async () => {
    const feed = await startServer((_req, res) => res.end('via localhost'));
    const url = `http://localhost:${new URL(feed.url).port}/`;
    const allowLoopback = (ip: string): string | null => (ip === '127.0.0.1' || ip === '::1' ? null : 'refused');
    const response = await boundedRequest(url, { allowPrivateNetwork: false, addressPolicy: allowLoopback });
    expect(response.body.toString()).toBe('via localhost');
    const err = await failure(boundedRequest(url, { allowPrivateNetwork: false, addressPolicy: () => 'refused by the test policy' }));
    expect(err.message).toMatch(/^refused: localhost resolves to \S+, refused by the test policy/);
    expect(feed.connections).toBe(1);
  });

  it.each([
    ['ftp://example.com/feed.xml', 'FEED_BLOCKED', 'refused: only http and https URLs can be fetched (the URL uses ftp:)'],
    ['file:///etc/passwd', 'FEED_BLOCKED', 'refused: only http and https URLs can be fetched (the URL uses file:)'],
    ['http://user:pass@127.0.0.1/', 'FEED_BLOCKED', 'refused: URLs with a user name or password are not allowed'],
    ['not a url', 'FEED_FETCH_FAILED', 'not a valid URL: not a url'],
  ])('refuses %s', async (url, code, message) => {
    const err = await failure(boundedRequest(url, open));
    expect(err.code).toBe(code);
    expect(err.message).toBe(message);
    expect(JSON.stringify(err.details)).not.toContain('pass@');
  });
});
