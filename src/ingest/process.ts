/**
 * What the ingestion worker calls: raw body bytes → decode → parse → normalize. Everything crossing
 * this function is plain, structured-cloneable data (a Buffer/Uint8Array in, a ParsedFeed out).
 */
import { AppError } from '../shared/errors.js';
import { decodeFeedBody } from './decode.js';
import { parseFeedDocument } from './parse.js';
import type { ParsedFeed } from './parse.js';

export interface ProcessOptions {
  /** The URL the body was fetched from (after redirects). */
  url: string;
  /** The ingest run's clock as an ISO string: undated items get this time. */
  now: string;
}

/** Decodes, parses and normalizes one fetched feed body. Throws AppError for unusable documents. */
export async function processFeedBody(body: Buffer | Uint8Array, contentType: string | null, opts: ProcessOptions): Promise<ParsedFeed> {
  const now = new Date(opts.now);
  if (Number.isNaN(now.getTime())) throw new AppError('INTERNAL', `processFeedBody got an invalid "now": ${opts.now}`);
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new AppError('FEED_PARSE_FAILED', 'the body is still gzip-compressed (the server did not say Content-Encoding: gzip)');
  }
  const text = decodeFeedBody(bytes, contentType);
  return parseFeedDocument(text, { url: opts.url, now });
}
