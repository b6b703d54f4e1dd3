/**
 * The rules a URL and the address behind it must pass before we connect: http or https only, no
 * credentials, and (unless private networks are allowed) an address that the policy accepts. The
 * address is checked inside the socket's own DNS lookup, so the address judged is the one connected to
 * (a host that resolves to a public address for a check and a private one for the connection is caught).
 */
import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import { AppError } from '../shared/errors.js';
import { classifyAddress, METADATA, refuseCloudMetadata } from './address.js';

export type AddressPolicy = (ip: string) => string | null;
export type ErrorDetails = Record<string, unknown>;

const HINT = '(set ALLOW_PRIVATE_NETWORK=true to allow)';
const NEVER = '(never fetched, whatever ALLOW_PRIVATE_NETWORK says)';
const hintFor = (reason: string) => (reason === METADATA ? NEVER : HINT);

/**
 * The addresses a request may reach: with private networks allowed, all but the cloud metadata services;
 * otherwise what `custom` (tests) or classifyAddress accepts.
 */
export function addressPolicyFor(allowPrivateNetwork: boolean, custom?: AddressPolicy): AddressPolicy {
  return allowPrivateNetwork ? refuseCloudMetadata : (custom ?? classifyAddress);
}

/** Parses and checks a URL we are about to request (the first one or a redirect target). */
export function parseTarget(raw: string, details: ErrorDetails, base?: URL): URL {
  let url: URL;
  try {
    url = base === undefined ? new URL(raw) : new URL(raw, base);
  } catch {
    const what = base === undefined ? 'not a valid URL' : 'the server redirected to an invalid URL';
    throw new AppError('FEED_FETCH_FAILED', `${what}: ${redactUrl(raw)}`, { details });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const what = base === undefined ? 'URL' : 'redirect target';
    const message = `refused: only http and https URLs can be fetched (the ${what} uses ${url.protocol})`;
    throw new AppError('FEED_BLOCKED', message, { details });
  }
  if (url.username !== '' || url.password !== '') {
    throw new AppError('FEED_BLOCKED', 'refused: URLs with a user name or password are not allowed', { details });
  }
  url.hash = '';
  return url;
}

/** The URL without user name and password, for messages and logs. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    return url.href;
  } catch {
    return raw.replace(/\/\/[^/@]*@/, '//');
  }
}

/** `[::1]` → `::1`: node:http wants the bare address. */
export function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Literal IP hosts never reach the DNS lookup, so they are judged here. */
export function checkLiteralHost(url: URL, policy: AddressPolicy, details: ErrorDetails): void {
  const host = bareHost(url);
  if (isIP(host) === 0) return;
  const reason = policy(host);
  if (reason !== null) throw new AppError('FEED_BLOCKED', `refused: ${host} is ${reason} ${hintFor(reason)}`, { details });
}

/** A `lookup` for node:net that resolves every address and refuses if any of them is blocked. */
export function createGuardedLookup(policy: AddressPolicy, details: ErrorDetails): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    const query: LookupOptions & { all: true } = { all: true, family, hints: options.hints ?? 0 };
    dns.lookup(hostname, query, (err, addresses) => {
      if (err !== null) return callback(err, '', 0);
      const refusal = findRefusal(hostname, addresses, policy, details);
      if (refusal !== null) return callback(refusal, '', 0);
      const first = addresses[0];
      if (first === undefined) return callback(notFound(hostname), '', 0);
      if (options.all === true) return callback(null, addresses);
      callback(null, first.address, first.family);
    });
  };
}

function findRefusal(host: string, addresses: LookupAddress[], policy: AddressPolicy, details: ErrorDetails): AppError | null {
  for (const { address } of addresses) {
    const reason = policy(address);
    if (reason !== null) {
      return new AppError('FEED_BLOCKED', `refused: ${host} resolves to ${address}, ${reason} ${hintFor(reason)}`, {
        details: { ...details, address },
      });
    }
  }
  return null;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  err.code = 'ENOTFOUND';
  return err;
}
