/**
 * One pass over a story: each field is tokenized once and run through the compiled matcher.
 * Also the small helpers both the company and the theme rules use on the result.
 */
import type { CompiledTaxonomy } from './compile.js';
import type { Hit } from './match.js';
import { isLowerCase, isTitleCase, tokenizeText } from './tokenize.js';
import type { Token } from './tokenize.js';
import type { TagEvidence, TagField, TagInput } from './types.js';

export interface FieldScan {
  field: TagField;
  text: string;
  tokens: Token[];
  hits: Hit[];
  titleCase: boolean;
  weight: number;
  /** 1 for each token inside an aside (see asideTokens); null when the field has none. */
  aside: Uint8Array | null;
}

export const FIELDS: readonly TagField[] = ['title', 'summary', 'content'];

/**
 * How much a theme signal counts in a field. A long article body mentions many things in passing (a
 * valuation, a lawsuit, the chip rivalry), so past `content_reference_tokens` the body's weight shrinks in
 * proportion to its length: its signals count by their density, not their number.
 */
function fieldWeight(c: CompiledTaxonomy, field: TagField, tokens: number): number {
  const weight = c.settings.field_weights[field];
  return field === 'content' ? weight * Math.min(1, c.settings.content_reference_tokens / tokens) : weight;
}

export function scanStory(c: CompiledTaxonomy, input: TagInput): FieldScan[] {
  const scans: FieldScan[] = [];
  for (const field of FIELDS) {
    const text = input[field];
    if (typeof text !== 'string' || text.length === 0) continue;
    const tokens = tokenizeText(text);
    if (tokens.length === 0) continue;
    scans.push({
      field,
      text,
      tokens,
      // Without any capitals, company names and context words are read whatever their case rule says
      // (companies.ts then asks a one-word name for context: "apple pie" stays a pie).
      hits: c.matcher.scan(tokens, isLowerCase(text, tokens) ? c.caseless : undefined),
      titleCase: isTitleCase(tokens, c.settings.title_case_ratio),
      weight: fieldWeight(c, field, tokens.length),
      aside: c.readsAsides ? asideTokens(text, tokens) : null,
    });
  }
  return scans;
}

const ASIDE_STARTS = new Set(['which', 'whose', 'who', 'valued']);
const ASIDE_OPENS = /[,(—]/;
const ASIDE_CLOSES = /[,;)—]/;

/**
 * Asides: a non-restrictive relative clause (", which raised $13bn last month,", ", whose shares…", ", who
 * sued…") or a ", valued at…" appositive, from its first word to the next comma, dash, bracket or sentence
 * end. They carry background, so a theme signal inside one counts for less (settings.aside_weight).
 */
export function asideTokens(text: string, tokens: Token[]): Uint8Array | null {
  let marks: Uint8Array | null = null;
  for (let i = 1; i < tokens.length; i++) {
    if (!ASIDE_STARTS.has(tokens[i]!.key) || !ASIDE_OPENS.test(text.slice(tokens[i - 1]!.end, tokens[i]!.start))) continue;
    marks ??= new Uint8Array(tokens.length);
    marks[i] = 1;
    for (i++; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.sentenceStart || ASIDE_CLOSES.test(text.slice(tokens[i - 1]!.end, t.start))) break;
      marks[i] = 1;
    }
    i--; // the closing token may open the next aside
  }
  return marks;
}

/** The text a hit covers, as written ("Nvidia’s" → "Nvidia", "H100s" → "H100s"). */
export function hitText(scan: FieldScan, hit: Hit): string {
  return scan.text.slice(scan.tokens[hit.start]!.start, scan.tokens[hit.end]!.end);
}

export function overlaps(a: Hit, b: Hit): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** Groups matched terms by (term, field), keeping the order in which they first appear. */
export function collectEvidence(items: Array<{ scan: FieldScan; hit: Hit }>): TagEvidence[] {
  const byKey = new Map<string, TagEvidence>();
  const sorted = [...items].sort((a, b) => FIELDS.indexOf(a.scan.field) - FIELDS.indexOf(b.scan.field) || a.hit.start - b.hit.start);
  for (const { scan, hit } of sorted) {
    const term = hitText(scan, hit);
    const key = `${scan.field}\u0000${term}`;
    const e = byKey.get(key);
    if (e) e.count += 1;
    else byKey.set(key, { term, field: scan.field, count: 1 });
  }
  return [...byKey.values()];
}

export function roundScore(x: number): number {
  return Math.min(1, Math.max(0.001, Math.round(x * 1000) / 1000));
}
