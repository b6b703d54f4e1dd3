/**
 * Turns the errors node:net, node:tls and node:http throw into an AppError whose message says in
 * plain words what happened ("connection refused by feed.example:443").
 */
import { AppError } from '../shared/errors.js';
import type { ErrorDetails } from './guard.js';

const DNS_FAILURES = new Set(['ENOTFOUND', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL', 'EAI_ADDRFAMILY']);
const EARLY_CLOSE = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNABORTED']);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|EPROTO$|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** "30s", "1.5s", "0.2s". */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}

/** `host` is the host:port being talked to when it failed. */
export function describeTransportError(err: unknown, host: string, details: ErrorDetails): AppError {
  const code = errorCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  return new AppError('FEED_FETCH_FAILED', messageFor(code, detail, host), { cause: err, details: { ...details, errorCode: code } });
}

function messageFor(code: string, detail: string, host: string): string {
  const hostname = host.replace(/:\d+$/, '');
  if (DNS_FAILURES.has(code)) return `could not resolve host ${hostname}`;
  if (code === 'EAI_AGAIN') return `could not resolve host ${hostname} (temporary DNS failure)`;
  if (code === 'ECONNREFUSED') return `connection refused by ${host}`;
  if (EARLY_CLOSE.has(code)) return 'the server closed the connection early';
  if (code === 'ETIMEDOUT') return `the connection to ${host} timed out`;
  if (code === 'EHOSTUNREACH') return `host ${hostname} is unreachable`;
  if (code === 'ENETUNREACH') return `the network to ${hostname} is unreachable`;
  if (code === 'HPE_HEADER_OVERFLOW') return 'the server sent response headers that are too large';
  if (code.startsWith('HPE_')) return `the server sent an invalid HTTP response (${detail})`;
  if (TLS_CODE.test(code)) return `TLS error: ${detail}`;
  return `the request failed: ${detail}`;
}

function errorCode(err: unknown): string {
  if (typeof err !== 'object' || err === null || !('code' in err)) return '';
  return typeof err.code === 'string' ? err.code : '';
}
