/**
 * Tools for the API abuse fuzz (issue 7, part 4): the route table read from the app's own OpenAPI
 * document, requests with a hard timeout, the rules every answer must follow, hostile inputs, and a
 * logical fingerprint of the whole database to prove that nothing changed.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { Db } from '../../src/db/open.js';
import type { RunningApi } from './start-api.js';

/** SQL injection, in the forms that break naive string-built SQL. */
export const SQL_INJECTION = [
  "' OR '1'='1",
  "' OR 1=1 --",
  '" OR ""="',
  "'; DROP TABLE stories; --",
  "1; DELETE FROM feeds",
  "x' UNION SELECT name, sql FROM sqlite_master --",
  "') OR ('a'='a",
  '1 OR 1=1',
  "admin'--",
  "%' AND 1=0 UNION ALL SELECT NULL --",
  "1' AND randomblob(1000000000) --",
  "'||(SELECT sqlite_version())||'",
  "\\'; ATTACH DATABASE '/tmp/pwn.db' AS pwn; --",
  '0x27',
  "' ; UPDATE stories SET title = 'pwned' ; --",
];

/** FTS5 query syntax that must only ever be text to search for. */
export const FTS_SYNTAX = [
  '"',
  '"unbalanced',
  '(((',
  ')',
  '*',
  'nvidia*',
  'title:nvidia',
  '{title summary}:nvidia',
  '^nvidia',
  'NEAR(nvidia blackwell, 2)',
  'nvidia AND',
  'OR OR OR',
  'NOT',
  '- -',
  'nvidia + - ( ) " *',
  'stories_fts MATCH 1',
  'rank MATCH x',
  '\u0000',
  '%',
  '_',
];

/** Values that break parsers in general: long, odd Unicode, control characters, numbers at the edges. */
export const ODD_VALUES = ['', ' ', 'null', 'undefined', '[object Object]', '-1', '0', '1e309', '9007199254740993', 'NaN', '../../etc/passwd', '%00', '\u202e', '💥', 'a'.repeat(5000), '<script>alert(1)</script>', '{{7*7}}', '${7*7}'];

export const INJECTIONS = [...SQL_INJECTION, ...FTS_SYNTAX];

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** OpenAPI template, e.g. /api/v1/feeds/{id}. */
  path: string;
  query: string[];
  pathParams: string[];
  /** Declares bearerAuth: needs the admin token. */
  admin: boolean;
  hasBody: boolean;
}

/** The routes the app documents, from its own /openapi.json. */
export async function discoverRoutes(api: RunningApi): Promise<Route[]> {
  const doc = (await (await api.fetch('/openapi.json')).json()) as { paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; security?: unknown[]; requestBody?: unknown }>> };
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? [];
      routes.push({
        method: method.toUpperCase() as Route['method'],
        path,
        query: params.filter((p) => p.in === 'query').map((p) => p.name),
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        admin: (op.security?.length ?? 0) > 0,
        hasBody: op.requestBody !== undefined,
      });
    }
  }
  return routes;
}

export function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? 'x'));
}

export interface Answer {
  status: number;
  contentType: string;
  body: string;
  ms: number;
  /** Set when the request did not answer in time or failed at the transport. */
  failure?: string;
}

/** One request with a hard timeout; never throws. */
export async function send(api: RunningApi, method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}, timeoutMs = 10_000): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(`${api.baseUrl}${path}`, { method, headers: init.headers ?? {}, ...(init.body === undefined ? {} : { body: init.body }), signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body, ms: performance.now() - started };
  } catch (err) {
    return { status: 0, contentType: '', body: '', ms: performance.now() - started, failure: (err as Error).message };
  }
}

/** What is wrong with an answer, or null: no 5xx, no hang, every error a complete problem document. */
export function answerProblem(answer: Answer, method: string): string | null {
  if (answer.failure) return `no answer: ${answer.failure}`;
  if (answer.status >= 500) return `HTTP ${answer.status}: ${answer.body.slice(0, 300)}`;
  if (answer.status < 400 || method === 'HEAD') return null;
  if (!answer.contentType.startsWith('application/problem+json')) return `error ${answer.status} as ${answer.contentType}: ${answer.body.slice(0, 200)}`;
  try {
    const p = JSON.parse(answer.body) as { status?: unknown; title?: unknown; detail?: unknown };
    if (p.status !== answer.status) return `problem status ${String(p.status)} on an HTTP ${answer.status}`;
    if (typeof p.title !== 'string' || p.title === '') return 'problem without a title';
    if (typeof p.detail !== 'string' || p.detail === '') return 'problem without a detail';
  } catch {
    return `problem+json that is not JSON: ${answer.body.slice(0, 200)}`;
  }
  return null;
}

/** Every row of every table (FTS shadow tables included), hashed: equal fingerprints, equal databases. */
export function dbFingerprint(db: Db): string {
  const hash = createHash('sha256');
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
  for (const table of tables) {
    hash.update(`\u0000${table}\u0000`);
    for (const row of db.prepare(`SELECT * FROM "${table}"`).raw().iterate()) {
      hash.update(JSON.stringify(row, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'bigint' ? String(v) : v)));
    }
  }
  hash.update(`schema ${String(db.pragma('user_version', { simple: true }))}`);
  return hash.digest('hex');
}

/** A hostile string: injections, odd values, or anything fast-check can make. */
export const hostileString = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS, ...ODD_VALUES) },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.stringMatching(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?$/) },
    { weight: 1, arbitrary: fc.integer({ min: -10, max: 100_000 }).map(String) },
  );

/** Header values fetch can send (visible Latin-1, no CR/LF/NUL). */
export const headerValue = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom('*/*', 'text/html', 'application/json', 'application/problem+json', 'application/xml;q=0.1, */*;q=0', '"etag"', 'W/"x"', '*', 'gzip, br, deflate, zstd, x-unknown', 'bytes=0-0', 'Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', 'Thu, 01 Jan 1970 00:00:00 GMT', 'not a date', 'null', 'https://evil.example', 'http://127.0.0.1'),
    fc.constantFrom(...SQL_INJECTION, ...ODD_VALUES.filter((v) => v.length < 200)).map((v) => v.replace(/[^\x20-\x7e\xa0-\xff]/g, '')),
    fc.string({ maxLength: 60 }).map((v) => v.replace(/[^\x20-\x7e]/g, '').trim()),
  );
