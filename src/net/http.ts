/**
 * One HTTP request with hard limits, on node:http/https directly: addresses checked where the socket
 * connects (SSRF), redirects followed by hand and re-checked hop by hop, the body capped while it
 * streams (decoded size), a connect timeout and a total timeout. Non-2xx answers are returned, not
 * thrown; only transport failures throw, as AppError with a plain message and the URL in `details`.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { ACCEPT_ENCODING, checkDeclaredLength, readBoundedBody } from './body.js';
import { addressPolicyFor, bareHost, checkLiteralHost, createGuardedLookup, parseTarget, redactUrl } from './guard.js';
import type { AddressPolicy, ErrorDetails } from './guard.js';
import { describeTransportError, formatSeconds } from './transport-error.js';
import { AppError } from '../shared/errors.js';

export interface BoundedRequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** false: refuse any address the policy (default `classifyAddress`) names a reason for; true: only the cloud metadata services. */
  allowPrivateNetwork: boolean;
  /** Replaces `classifyAddress` when private networks are not allowed. */
  addressPolicy?: AddressPolicy;
  /** DNS + TCP + TLS, per hop. Default 10 s. */
  connectTimeoutMs?: number;
  /** The whole request, redirects and body included. Default 30 s. */
  timeoutMs?: number;
  /** Limit on the decoded body. Default 10 MB. */
  maxBodyBytes?: number;
  maxRedirects?: number;
  userAgent?: string;
  signal?: AbortSignal;
}

export interface BoundedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The final URL, after redirects. */
  url: string;
  redirects: number;
}

export const DEFAULT_USER_AGENT = `Shiftwire/${readVersion()} (+https://github.com/shiftwire/shiftwire)`;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

interface Hop {
  target?: URL;
  request?: ClientRequest;
  response?: IncomingMessage;
  receivingBody: boolean;
  details: ErrorDetails;
}

/** Sends one request (following redirects for GET) and reads the whole body within the limits. */
export async function boundedRequest(url: string, opts: BoundedRequestOptions): Promise<BoundedResponse> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const hop: Hop = { receivingBody: false, details: { url: redactUrl(url) } };
  const controller = new AbortController();
  const abort = (reason: AppError): void => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    hop.response?.destroy(reason);
    hop.request?.destroy(reason);
  };
  const timer = setTimeout(() => abort(timeoutError(timeoutMs, hop)), timeoutMs);
  const onCallerAbort = (): void => abort(new AppError('FEED_FETCH_FAILED', 'the request was cancelled', { details: hop.details }));
  opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    if (opts.signal?.aborted === true) onCallerAbort();
    return await followRedirects(url, opts, hop, controller.signal);
  } catch (err) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw err instanceof AppError ? err : describeTransportError(err, hop.target?.host ?? '', hop.details);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onCallerAbort);
    hop.response?.destroy();
    hop.request?.destroy();
  }
}

async function followRedirects(url: string, opts: BoundedRequestOptions, hop: Hop, signal: AbortSignal): Promise<BoundedResponse> {
  const maxRedirects = opts.maxRedirects ?? 5;
  const maxBodyBytes = opts.maxBodyBytes ?? 10 * 1024 * 1024;
  const method = opts.method ?? 'GET';
  let target = parseTarget(url, hop.details);
  let headers = buildHeaders(opts);
  const visited = new Set([target.href]);
  for (let redirects = 0; ; redirects += 1) {
    const response = await sendOnce(target, method, headers, opts, hop, signal);
    const location = response.headers.location;
    const status = response.statusCode ?? 0;
    if (!REDIRECT_STATUSES.has(status) || location === undefined) {
      // From here on an error still knows what the server answered (a webhook's 2xx is its receipt).
      hop.details = { ...hop.details, status };
      // A 304 may state the Content-Length of the full representation; it has no body of its own.
      if (status !== 204 && status !== 304) checkDeclaredLength(response, maxBodyBytes, hop.details);
      hop.receivingBody = true;
      const body = await readBoundedBody(response, maxBodyBytes, hop.details);
      return { status, headers: flattenHeaders(response), body, url: target.href, redirects };
    }
    response.destroy();
    hop.request?.destroy();
    if (method === 'POST') throw redirectError(`the server answered ${status} with a redirect, which is not followed for POST`, hop);
    if (redirects >= maxRedirects) throw redirectError(`too many redirects (more than ${maxRedirects})`, hop);
    const next = parseTarget(location, { ...hop.details, redirectedTo: redactUrl(location) }, target);
    if (visited.has(next.href)) throw redirectError(`the server redirects in a loop (back to ${next.href})`, hop);
    visited.add(next.href);
    if (next.origin !== target.origin) headers = withoutCredentials(headers);
    hop.details = { ...hop.details, redirectedTo: next.href };
    target = next;
  }
}

/** Opens one request and resolves with the response once its headers arrived. */
function sendOnce(target: URL, method: string, headers: OutgoingHttpHeaders, opts: BoundedRequestOptions, hop: Hop, signal: AbortSignal): Promise<IncomingMessage> {
  // With private networks allowed, only the cloud metadata services stay out of reach.
  const policy = addressPolicyFor(opts.allowPrivateNetwork, opts.addressPolicy);
  checkLiteralHost(target, policy, hop.details);
  const secure = target.protocol === 'https:';
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request({
      protocol: target.protocol,
      hostname: bareHost(target),
      port: target.port === '' ? undefined : Number(target.port),
      path: `${target.pathname}${target.search}`,
      method,
      headers,
      agent: false,
      lookup: createGuardedLookup(policy, hop.details),
    });
    hop.target = target;
    hop.request = request;
    hop.response = undefined;
    const connectTimer = setTimeout(() => {
      request.destroy(new AppError('FEED_TIMEOUT', `could not connect to ${target.host} within ${formatSeconds(connectTimeoutMs)}`, { details: hop.details }));
    }, connectTimeoutMs);
    request.once('socket', (socket) => socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer)));
    request.once('response', (response) => {
      clearTimeout(connectTimer);
      hop.response = response;
      resolve(response);
    });
    request.once('error', (err) => {
      clearTimeout(connectTimer);
      reject(err);
    });
    request.once('close', () => clearTimeout(connectTimer));
    request.end(opts.body);
  });
}

function buildHeaders(opts: BoundedRequestOptions): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'user-agent': opts.userAgent ?? DEFAULT_USER_AGENT,
    accept: '*/*',
    'accept-encoding': ACCEPT_ENCODING,
  };
  for (const [name, value] of Object.entries(opts.headers ?? {})) headers[name.toLowerCase()] = value;
  if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
  return headers;
}

function withoutCredentials(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.includes(name)));
}

function flattenHeaders(response: IncomingMessage): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function timeoutError(timeoutMs: number, hop: Hop): AppError {
  const message = hop.receivingBody
    ? `the response did not finish within ${formatSeconds(timeoutMs)}`
    : `no response within ${formatSeconds(timeoutMs)}`;
  return new AppError('FEED_TIMEOUT', message, { details: hop.details });
}

function redirectError(message: string, hop: Hop): AppError {
  return new AppError('FEED_FETCH_FAILED', message, { details: hop.details });
}

/** The package version, from package.json two levels up (src/net or dist/net). */
function readVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const version = typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
