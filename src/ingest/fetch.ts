/**
 * Fetches one feed with a conditional GET: sends the stored ETag / Last-Modified, and sorts the answer
 * into not-modified, ok (with the new validators) or http-error, with the server's caching hints
 * (Retry-After, Cache-Control max-age). Transport failures throw the AppError from `boundedRequest`.
 */
import { STATUS_CODES } from 'node:http';
import { boundedRequest } from '../net/http.js';
import type { BoundedRequestOptions } from '../net/http.js';

export interface FetchFeedOptions extends Omit<BoundedRequestOptions, 'method' | 'body' | 'headers'> {
  etag?: string | null;
  lastModified?: string | null;
  /** Reference time for a Retry-After given as a date. */
  now?: Date;
}

export interface CacheHints {
  retryAfterSeconds: number | null;
  maxAgeSeconds: number | null;
}

export type FetchFeedResult =
  | { kind: 'not-modified'; status: 304; url: string; cache: CacheHints }
  | {
      kind: 'ok';
      status: number;
      url: string;
      body: Buffer;
      contentType: string | null;
      etag: string | null;
      lastModified: string | null;
      cache: CacheHints;
    }
  | { kind: 'http-error'; status: number; url: string; message: string; cache: CacheHints };

export const FEED_ACCEPT =
  'application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5';

export async function fetchFeed(url: string, opts: FetchFeedOptions): Promise<FetchFeedResult> {
  const { etag, lastModified, now, ...requestOptions } = opts;
  const headers: Record<string, string> = { accept: FEED_ACCEPT };
  if (etag) headers['if-none-match'] = etag;
  if (lastModified) headers['if-modified-since'] = lastModified;
  const response = await boundedRequest(url, { ...requestOptions, method: 'GET', headers });
  const cache = readCacheHints(response.headers, now ?? new Date());
  if (response.status === 304) return { kind: 'not-modified', status: 304, url: response.url, cache };
  if (response.status < 200 || response.status > 299) {
    return { kind: 'http-error', status: response.status, url: response.url, message: describeStatus(response.status), cache };
  }
  return {
    kind: 'ok',
    status: response.status,
    url: response.url,
    body: response.body,
    contentType: response.headers['content-type'] ?? null,
    etag: response.headers.etag ?? null,
    lastModified: response.headers['last-modified'] ?? null,
    cache,
  };
}

/** "the server answered 404 Not Found". */
export function describeStatus(status: number): string {
  const reason = STATUS_CODES[status];
  return reason === undefined ? `the server answered ${status}` : `the server answered ${status} ${reason}`;
}

export function readCacheHints(headers: Record<string, string>, now: Date): CacheHints {
  return {
    retryAfterSeconds: parseRetryAfter(headers['retry-after'], now),
    maxAgeSeconds: parseMaxAge(headers['cache-control']),
  };
}

const HTTP_DATE = /^[A-Za-z]{3,9}, \d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]?\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** Retry-After as delay-seconds or an HTTP-date (seconds from `now`, never negative). */
export function parseRetryAfter(value: string | undefined, now: Date): number | null {
  const text = value?.trim() ?? '';
  if (/^\d+$/.test(text)) return Number(text);
  let time = Number.NaN;
  if (HTTP_DATE.test(text)) time = Date.parse(text);
  else if (ASCTIME_DATE.test(text)) time = Date.parse(`${text} GMT`);
  if (Number.isNaN(time)) return null;
  return Math.max(0, Math.ceil((time - now.getTime()) / 1000));
}

/** Cache-Control max-age (kept even beside no-cache or no-store; s-maxage is for shared caches). */
export function parseMaxAge(value: string | undefined): number | null {
  for (const directive of (value ?? '').split(',')) {
    const match = /^max-age\s*=\s*"?(\d+)"?$/i.exec(directive.trim());
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return null;
}
