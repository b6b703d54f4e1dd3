/**
 * Reads a response body while holding it to a size limit: the limit applies to the decoded bytes
 * (gzip, deflate with or without its zlib header, br), the stream is torn down as soon as the limit
 * is passed, and no more than the limit plus one chunk is ever held in memory.
 */
import type { IncomingMessage } from 'node:http';
import { Duplex, Writable } from 'node:stream';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { AppError } from '../shared/errors.js';

export const ACCEPT_ENCODING = 'gzip, deflate, br';

/** "10 MB", "512 KB", "1000 bytes". */
export function formatSize(bytes: number): string {
  const mb = 1024 * 1024;
  if (bytes >= mb && (bytes * 10) % mb === 0) return `${bytes / mb} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

export function tooLargeError(limit: number, details: Record<string, unknown>): AppError {
  return new AppError('FEED_TOO_LARGE', `the body is larger than ${formatSize(limit)}`, { details: { ...details, limit } });
}

/** Refuses up front when Content-Length already says the body is over the limit. */
export function checkDeclaredLength(res: IncomingMessage, limit: number, details: Record<string, unknown>): void {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLargeError(limit, details);
}

/** Reads the whole (decoded) body, or rejects as soon as it grows past `limit` bytes. */
export async function readBoundedBody(res: IncomingMessage, limit: number, details: Record<string, unknown>): Promise<Buffer> {
  const decoders = createDecoders(res.headers['content-encoding'], details);
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > limit) return done(tooLargeError(limit, details));
      chunks.push(chunk);
      done();
    },
  });
  await pipeline([res, ...decoders, sink]);
  return Buffer.concat(chunks, size);
}

/** Decoders in the order to apply them: the last encoding listed was applied last. */
function createDecoders(header: string | undefined, details: Record<string, unknown>): Duplex[] {
  const encodings = (header ?? '')
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== '' && token !== 'identity');
  if (encodings.length > 3) {
    throw new AppError('FEED_FETCH_FAILED', `the server stacked too many content encodings (${header})`, { details });
  }
  return encodings.reverse().map((encoding) => createDecoder(encoding, details));
}

/**
 * Decompressed output per chunk. zlib's default (16 KB) needs ~640 turns of the event loop to reach a
 * 10 MB cap; on a busy process each turn also runs other work, so a compression bomb could outlast the
 * fetch timeout (FEED_TIMEOUT instead of FEED_TOO_LARGE, its fetch slot held for the whole timeout).
 * 256 KB chunks reach the cap in ~40 turns; memory stays bounded by the cap plus one chunk.
 */
const DECODE_CHUNK = 256 * 1024;

function createDecoder(encoding: string, details: Record<string, unknown>): Duplex {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return createLazyDecoder(encoding, details, 1, () => zlib.createGunzip({ chunkSize: DECODE_CHUNK }));
    case 'br':
      return createLazyDecoder(encoding, details, 1, () => zlib.createBrotliDecompress({ chunkSize: DECODE_CHUNK }));
    case 'deflate':
      return createLazyDecoder(encoding, details, 2, (head) => (hasZlibHeader(head) ? zlib.createInflate({ chunkSize: DECODE_CHUNK }) : zlib.createInflateRaw({ chunkSize: DECODE_CHUNK })));
    default:
      throw new AppError('FEED_FETCH_FAILED', `the server used an unsupported content encoding: ${encoding}`, { details });
  }
}

/** RFC 1950: CM = 8 (deflate), window <= 32K, and the first two bytes are a multiple of 31. */
function hasZlibHeader(head: Buffer): boolean {
  const cmf = head[0] ?? 0;
  const flg = head[1] ?? 0;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
}

/**
 * A decoder created on the first `headBytes` bytes (so "deflate" can tell zlib from raw data, and an
 * empty body stays empty instead of failing as a truncated stream). Backpressure passes through.
 */
function createLazyDecoder(encoding: string, details: Record<string, unknown>, headBytes: number, choose: (head: Buffer) => Transform): Duplex {
  let inner: Transform | null = null;
  const head: Buffer[] = [];
  let headLength = 0;

  const start = (): Transform => {
    const created = choose(Buffer.concat(head, headLength));
    created.on('data', (chunk: Buffer) => {
      if (!outer.push(chunk)) created.pause();
    });
    created.on('end', () => outer.push(null));
    created.on('error', (err: Error) => outer.destroy(decompressError(encoding, details, err)));
    inner = created;
    return created;
  };

  const outer: Duplex = new Duplex({
    write(chunk: Buffer, _encoding, done) {
      if (inner !== null) return void inner.write(chunk, done);
      head.push(chunk);
      headLength += chunk.length;
      if (headLength < headBytes) return done();
      start().write(Buffer.concat(head, headLength), done);
    },
    final(done) {
      if (inner === null && headLength > 0) start().write(Buffer.concat(head, headLength));
      if (inner === null) outer.push(null);
      else inner.end();
      done();
    },
    read() {
      inner?.resume();
    },
    destroy(err, done) {
      inner?.destroy();
      done(err);
    },
  });
  return outer;
}

function decompressError(encoding: string, details: Record<string, unknown>, err: Error): AppError {
  const message = `could not decompress the ${encoding} body (${err.message})`;
  return new AppError('FEED_FETCH_FAILED', message, { cause: err, details });
}
