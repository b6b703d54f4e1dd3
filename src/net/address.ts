/**
 * Is an IP address somewhere a feed may live? `classifyAddress` answers null for a public unicast
 * address and otherwise a plain reason ("a loopback address"), used to refuse requests that would
 * reach the machine itself, the local network or a cloud metadata service (SSRF).
 * IPv6 forms that carry an IPv4 address (::ffff:a.b.c.d, NAT64, 6to4) are judged by that address.
 */
import { isIP } from 'node:net';

interface Range {
  readonly bytes: readonly number[];
  readonly prefix: number;
  readonly reason: string;
}

const LOOPBACK = 'a loopback address';
const PRIVATE = 'a private network address';
const LINK_LOCAL = 'a link-local address';
export const METADATA = 'the cloud metadata address';
const UNSPECIFIED = 'an unspecified address';
const MULTICAST = 'a multicast address';
const RESERVED = 'a reserved address';
const DOCUMENTATION = 'a documentation address';

/** First match wins, so narrow ranges come before the ranges that contain them. */
const V4_RANGES: readonly Range[] = [
  v4('0.0.0.0/32', UNSPECIFIED),
  v4('0.0.0.0/8', RESERVED),
  v4('10.0.0.0/8', PRIVATE),
  v4('100.100.100.200/32', METADATA), // Alibaba Cloud
  v4('100.64.0.0/10', 'a carrier-grade NAT address'),
  v4('127.0.0.0/8', LOOPBACK),
  v4('169.254.169.254/32', METADATA),
  v4('169.254.0.0/16', LINK_LOCAL),
  v4('172.16.0.0/12', PRIVATE),
  v4('192.0.0.0/24', RESERVED),
  v4('192.0.2.0/24', DOCUMENTATION),
  v4('192.88.99.0/24', RESERVED), // former 6to4 relay anycast
  v4('192.168.0.0/16', PRIVATE),
  v4('198.18.0.0/15', 'a benchmarking address'),
  v4('198.51.100.0/24', DOCUMENTATION),
  v4('203.0.113.0/24', DOCUMENTATION),
  v4('224.0.0.0/4', MULTICAST),
  v4('255.255.255.255/32', 'a broadcast address'),
  v4('240.0.0.0/4', RESERVED),
];

const V6_RANGES: readonly Range[] = [
  v6('::/128', UNSPECIFIED),
  v6('::1/128', LOOPBACK),
  v6('fd00:ec2::254/128', METADATA), // AWS IMDS over IPv6
  v6('fc00::/7', PRIVATE),
  v6('fe80::/10', LINK_LOCAL),
  v6('fec0::/10', PRIVATE), // deprecated site-local
  v6('ff00::/8', MULTICAST),
  v6('2001:db8::/32', DOCUMENTATION),
  v6('3fff::/20', DOCUMENTATION),
  v6('2001::/23', RESERVED), // IETF protocol assignments, including Teredo 2001::/32
  v6('2000::/3', ''), // global unicast: public
];

/** IPv6 prefixes whose addresses carry an IPv4 address at a fixed byte offset. */
const V6_EMBEDDING_V4: readonly { bytes: readonly number[]; prefix: number; offset: number }[] = [
  { ...parseCidr('::ffff:0:0/96', 6), offset: 12 }, // IPv4-mapped
  { ...parseCidr('64:ff9b::/96', 6), offset: 12 }, // NAT64 well-known prefix
  { ...parseCidr('2002::/16', 6), offset: 2 }, // 6to4
];

/**
 * The policy when private networks are allowed (ALLOW_PRIVATE_NETWORK=true, for feeds on a LAN or on the
 * same host): everything but the cloud metadata services, which hand out credentials and are never a feed.
 */
export function refuseCloudMetadata(ip: string): string | null {
  return classifyAddress(ip) === METADATA ? METADATA : null;
}

/** Null when `ip` is a public unicast address; otherwise why it is not (also for non-addresses). */
export function classifyAddress(ip: string): string | null {
  const address = ip.trim().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const family = isIP(address);
  if (family === 4) return matchRange(parseIpv4(address), V4_RANGES) ?? null;
  if (family === 6) return classifyIpv6(parseIpv6(address));
  return 'not an IP address';
}

function classifyIpv6(bytes: readonly number[]): string | null {
  for (const embedding of V6_EMBEDDING_V4) {
    if (inPrefix(bytes, embedding.bytes, embedding.prefix)) {
      const v4 = bytes.slice(embedding.offset, embedding.offset + 4);
      return matchRange(v4, V4_RANGES) ?? null;
    }
  }
  const reason = matchRange(bytes, V6_RANGES);
  if (reason === undefined) return RESERVED; // outside 2000::/3, nothing else is allocated for unicast
  return reason === '' ? null : reason;
}

function matchRange(bytes: readonly number[], ranges: readonly Range[]): string | undefined {
  return ranges.find((range) => inPrefix(bytes, range.bytes, range.prefix))?.reason;
}

function inPrefix(bytes: readonly number[], network: readonly number[], prefix: number): boolean {
  for (let bit = 0; bit < prefix; bit += 8) {
    const mask = prefix - bit >= 8 ? 0xff : (0xff << (8 - (prefix - bit))) & 0xff;
    if (((bytes[bit / 8] ?? 0) & mask) !== ((network[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

function v4(cidr: string, reason: string): Range {
  return { ...parseCidr(cidr, 4), reason };
}

function v6(cidr: string, reason: string): Range {
  return { ...parseCidr(cidr, 6), reason };
}

function parseCidr(cidr: string, family: 4 | 6): { bytes: number[]; prefix: number } {
  const [address = '', prefix = ''] = cidr.split('/');
  return { bytes: family === 4 ? parseIpv4(address) : parseIpv6(address), prefix: Number(prefix) };
}

function parseIpv4(address: string): number[] {
  return address.split('.').map(Number);
}

/** 16 bytes of an address that `isIP` already accepted as IPv6 (may end in a dotted IPv4 part). */
function parseIpv6(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1] !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = parseIpv4(dotted[1]);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left = '', right] = text.split('::');
  const head = left === '' ? [] : left.split(':');
  const tail = right === undefined || right === '' ? [] : right.split(':');
  const groups = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  return groups.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}
