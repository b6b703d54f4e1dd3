import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface StaticResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface FeedServer {
  origin: string;
  url(path: string): string;
  /** Every request path seen, in order, with its headers. */
  requests: Array<{ path: string; headers: IncomingMessage['headers'] }>;
  route(path: string, handler: Handler | StaticResponse): void;
  close(): Promise<void>;
}

/** A loopback HTTP server standing in for the feeds of the world. */
export async function startFeedServer(host = '127.0.0.1'): Promise<FeedServer> {
  const routes = new Map<string, Handler>();
  const requests: FeedServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push({ path: req.url ?? '/', headers: req.headers });
    const handler = routes.get(path);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    Promise.resolve(handler(req, res)).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host}:${port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    requests,
    route(path, handler) {
      routes.set(
        path,
        typeof handler === 'function'
          ? handler
          : (_req, res) => {
              res.writeHead(handler.status ?? 200, handler.headers ?? { 'content-type': 'application/rss+xml' });
              res.end(handler.body ?? '');
            },
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A small RSS 2.0 document. */
export function rss(items: Array<{ title: string; link?: string; guid?: string; description?: string; pubDate?: string }>, extra = ''): string {
  const body = items
    .map(
      (i) => `<item><title>${i.title}</title>${i.link ? `<link>${i.link}</link>` : ''}${i.guid ? `<guid isPermaLink="false">${i.guid}</guid>` : ''}` +
        `${i.description ? `<description>${i.description}</description>` : ''}${i.pubDate ? `<pubDate>${i.pubDate}</pubDate>` : ''}</item>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test feed</title><link>https://news.example/</link>${extra}${body}</channel></rss>`;
}
