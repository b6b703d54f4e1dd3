/**
 * The taxonomy's identity, stored with every story's tags (retag compares it). Kept apart from
 * taxonomy.ts so the parse workers, which only tag, load neither yaml nor zod.
 */
import { createHash } from 'node:crypto';
import type { Taxonomy } from './schema.js';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = canonical(v);
    }
    return out;
  }
  return value;
}

/** sha256 (hex) of the normalized taxonomy: comments, key order and shorthand do not change it. */
export function taxonomyHash(taxonomy: Taxonomy): string {
  return createHash('sha256').update(JSON.stringify(canonical(taxonomy))).digest('hex');
}
