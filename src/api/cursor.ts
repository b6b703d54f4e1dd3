import { createHash } from 'node:crypto';
import { AppError } from '../shared/errors.js';

/**
 * Opaque paging cursors: base64url of a small JSON array with a short checksum, so a truncated or
 * edited cursor is refused instead of silently moving the reader somewhere else.
 *
 * - published sort (keyset): the last id returned; the next page is `id < last`. Ids are publication
 *   times, so stories that arrive meanwhile never shift the pages: newer ones sort above the walk,
 *   older ones slot in below it and are met when the walk gets there.
 * - relevance sort (offset): the offset of the next page plus a snapshot taken by the first page
 *   (the highest story id and the latest first-seen time then), so stories that arrive during the
 *   walk stay out of it and cannot push already-seen ones onto the next page.
 */
export type Cursor =
  | { sort: 'published'; lastId: number }
  | { sort: 'relevance'; offset: number; maxId: number; seenUntil: string };

const VERSION = 1;
const MAX_LENGTH = 400;

function checksum(body: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 8);
}

export function encodeCursor(cursor: Cursor): string {
  const body: unknown[] =
    cursor.sort === 'published' ? [VERSION, 'p', cursor.lastId] : [VERSION, 'r', cursor.offset, cursor.maxId, cursor.seenUntil];
  return Buffer.from(JSON.stringify([...body, checksum(body)])).toString('base64url');
}

function invalid(): AppError {
  return new AppError('VALIDATION_FAILED', 'cursor is not valid', { details: { parameter: 'query.cursor' } });
}

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseBody(text: string): Cursor {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length < 2) throw invalid();
  const body = value.slice(0, -1);
  if (value.at(-1) !== checksum(body) || body[0] !== VERSION) throw invalid();
  if (body[1] === 'p' && body.length === 3 && isId(body[2])) return { sort: 'published', lastId: body[2] };
  if (body[1] === 'r' && body.length === 5 && isId(body[2]) && isId(body[3]) && typeof body[4] === 'string' && body[4].length <= 40) {
    return { sort: 'relevance', offset: body[2], maxId: body[3], seenUntil: body[4] };
  }
  throw invalid();
}

/** Reads a cursor given back by a client; any damage, or a cursor made for the other sort, is a 400. */
export function decodeCursor(token: string, sort: Cursor['sort']): Cursor {
  if (token.length === 0 || token.length > MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalid();
  const text = Buffer.from(token, 'base64url').toString('utf8');
  // Node's decoder skips what it cannot read; only a token that re-encodes to itself is one of ours.
  if (Buffer.from(text).toString('base64url') !== token) throw invalid();
  const cursor = parseBody(text);
  if (cursor.sort !== sort) {
    throw new AppError('VALIDATION_FAILED', `cursor was made for sort=${cursor.sort}, not sort=${sort}; start again without a cursor`, {
      details: { parameter: 'query.cursor' },
    });
  }
  return cursor;
}
