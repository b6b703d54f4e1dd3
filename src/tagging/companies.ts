/**
 * Decides which companies a story refers to. Every alias hit is an occurrence; the longest alias wins
 * where aliases overlap ("Grace Hopper Superchip" over "Hopper"). Then, per occurrence:
 *  1. a veto phrase near it, a story-wide veto, or (for aliases that are also people's names) a
 *     capitalised name right before/after it rejects it ("Claude Monet", "Elizabeth Blackwell");
 *  2. an alias with `requires: none` is accepted; so is any alias with a confirm phrase near it
 *     ("Gemini app", "Gemini 2.5", "Amazon's Alexa");
 *  3. otherwise `requires: context` is accepted when the company is also named unambiguously, or the
 *     story has context (AI/tech words, the alias's `support` words, other companies);
 *     `requires: confirm` only in the first case.
 */
import type { CompiledAlias, CompiledTaxonomy } from './compile.js';
import type { Hit } from './match.js';
import { collectEvidence, overlaps, roundScore } from './scan.js';
import type { FieldScan } from './scan.js';
import type { Tag } from './types.js';

type How = 'strong' | 'confirmed' | 'supported' | 'context';

interface Occurrence {
  alias: CompiledAlias;
  scan: FieldScan;
  hit: Hit;
  how?: How;
}

const FIELD_BASE = { title: 0.95, summary: 0.9, content: 0.8 } as const;
const HOW_FACTOR: Record<How, number> = { strong: 1, confirmed: 0.97, supported: 0.95, context: 0.85 };

function findOccurrences(c: CompiledTaxonomy, scans: FieldScan[]): Occurrence[] {
  const out: Occurrence[] = [];
  for (const scan of scans) {
    const aliasHits = scan.hits.filter((h) => c.aliasRoles[h.id] !== undefined).sort((a, b) => b.end - b.start - (a.end - a.start));
    const kept: Hit[] = [];
    for (const h of aliasHits) {
      const len = h.end - h.start;
      if (kept.some((k) => k.start <= h.start && h.end <= k.end && k.end - k.start > len)) continue;
      kept.push(h);
      for (const alias of c.aliasRoles[h.id]!) out.push({ alias, scan, hit: h });
    }
  }
  return out;
}

function nearHit(o: Occurrence, ids: ReadonlySet<number>): boolean {
  if (ids.size === 0) return false;
  const w = o.alias.window;
  return o.scan.hits.some((h) => ids.has(h.id) && h.end >= o.hit.start - w && h.start <= o.hit.end + w && !(h.id === o.hit.id && h.start === o.hit.start));
}

/** True when the token at index i is part of a known phrase (an alias, a context word or a confirm phrase). */
function isKnownWord(c: CompiledTaxonomy, o: Occurrence, i: number): boolean {
  return o.scan.hits.some((h) => h.start <= i && i <= h.end && (c.aliasRoles[h.id] !== undefined || c.isContext[h.id] === 1 || o.alias.confirm.has(h.id)));
}

/** "Claude Monet", "Kimi Räikkönen", "Elizabeth Blackwell": the alias is part of a person's name. */
function nameNeighbour(c: CompiledTaxonomy, o: Occurrence, first: boolean): boolean {
  const { scan, hit } = o;
  const tokens = scan.tokens;
  const i = first ? hit.end + 1 : hit.start - 1;
  const t = tokens[i];
  if (!t || t.isNum) return false;
  const left = first ? tokens[hit.end]! : t;
  const right = first ? t : tokens[hit.start]!;
  if (scan.text.slice(left.end, right.start) !== ' ') return false;
  const initial = t.raw.charAt(0);
  if (initial === initial.toLowerCase() || (t.raw.length > 1 && t.raw === t.raw.toUpperCase())) return false;
  if (!first && t.sentenceStart) return false;
  if (c.notNames.has(t.key)) return false;
  return !isKnownWord(c, o, i);
}

function looksLikePersonName(c: CompiledTaxonomy, o: Occurrence): boolean {
  const mode = o.alias.person;
  if (mode === 'none' || o.scan.titleCase) return false;
  return ((mode === 'first' || mode === 'both') && nameNeighbour(c, o, true)) || ((mode === 'last' || mode === 'both') && nameNeighbour(c, o, false));
}

/**
 * Words that, hyphenated after a company name, still name the company: "Meta-owned", "Alibaba-backed".
 * Any other lower-case word makes a compound of a prefix alias: "Meta-learning", "Meta-prompting".
 */
const COMPANY_COMPOUNDS = new Set(['owned', 'backed', 'led', 'funded', 'built', 'made', 'based', 'style', 'like', 'developed',
  'designed', 'branded', 'affiliated', 'sponsored', 'linked', 'related', 'specific', 'exclusive', 'only', 'powered', 'trained',
  'hosted', 'run', 'operated', 'controlled', 'supported', 'approved', 'compatible', 'friendly', 'centric', 'focused', 'bound',
  'dependent', 'commissioned', 'acquired', 'partnered', 'released', 'published', 'produced']);

/** "Meta-prompting": the alias written as the first half of a hyphenated lower-case word. */
function prefixCompound(o: Occurrence): boolean {
  const tokens = o.scan.tokens;
  const next = tokens[o.hit.end + 1];
  if (!next || next.isNum) return false;
  const between = o.scan.text.slice(tokens[o.hit.end]!.end, next.start);
  if (between !== '-' && between !== '\u2010' && between !== '\u2011') return false;
  const initial = next.raw.charAt(0);
  return initial !== initial.toUpperCase() && !COMPANY_COMPOUNDS.has(next.key);
}

function isVetoed(c: CompiledTaxonomy, o: Occurrence, scans: FieldScan[]): boolean {
  if (nearHit(o, o.alias.veto)) return true;
  if (o.alias.prefix && prefixCompound(o)) return true;
  if (o.alias.vetoStory.size > 0 && scans.some((s) => s.hits.some((h) => o.alias.vetoStory.has(h.id)))) return true;
  return looksLikePersonName(c, o);
}

/**
 * Distinct context words (global ones and the alias's own `support` list) and other named companies
 * in the story, not counting the occurrence itself.
 */
function contextCount(c: CompiledTaxonomy, o: Occurrence, scans: FieldScan[], strong: ReadonlySet<number>): number {
  const ids = new Set<number>();
  for (const s of scans) {
    for (const h of s.hits) {
      if ((c.isContext[h.id] === 1 || o.alias.support.has(h.id)) && !(s === o.scan && overlaps(h, o.hit))) ids.add(h.id);
    }
  }
  let others = 0;
  strong.forEach((ci) => (others += ci === o.alias.company ? 0 : 1));
  return ids.size + others;
}

export interface CompanyResult {
  tags: Tag[];
  /** Number of distinct context words plus companies found, used to gate themes. */
  storyContext: number;
  /** Number of distinct AI context words plus companies found through an AI alias (AI companies, AI products). */
  aiContext: number;
}

function companyTags(c: CompiledTaxonomy, occurrences: Occurrence[]): Tag[] {
  const byCompany = new Map<number, Occurrence[]>();
  for (const o of occurrences) {
    if (o.how === undefined) continue;
    const list = byCompany.get(o.alias.company);
    if (list) list.push(o);
    else byCompany.set(o.alias.company, [o]);
  }
  const tags: Tag[] = [];
  for (const [ci, accepted] of [...byCompany.entries()].sort((a, b) => a[0] - b[0])) {
    const miss = accepted.reduce((m, o) => m * (1 - FIELD_BASE[o.scan.field] * HOW_FACTOR[o.how!]), 1);
    tags.push({ kind: 'company', id: c.companies[ci]!.id, score: roundScore(1 - miss), evidence: collectEvidence(accepted) });
  }
  return tags.sort((a, b) => b.score - a.score);
}

/**
 * What an occurrence needs to be accepted. A one-word name read in a text without capitals ("apple",
 * "meta", "amazon") needs what an ambiguous alias needs: context, or the company named another way;
 * unless it cannot be a plain word: a brand written in camel case ("deepmind", "openai") or a name
 * followed by its version number ("llama 4", "gemma 3").
 */
function requirement(c: CompiledTaxonomy, o: Occurrence): CompiledAlias['requires'] {
  if (!o.hit.relaxed || o.alias.requires !== 'none' || o.hit.start !== o.hit.end) return o.alias.requires;
  if (c.camelCase[o.hit.id] === 1) return 'none';
  const next = o.scan.tokens[o.hit.end + 1];
  return next?.isNum && (next.gap === 'plain' || next.gap === 'attached') ? 'none' : 'context';
}

export function findCompanies(c: CompiledTaxonomy, scans: FieldScan[]): CompanyResult {
  let contextWords = 0;
  let aiWords = 0;
  const seen = new Set<number>();
  for (const s of scans) {
    for (const h of s.hits) {
      if (c.isContext[h.id] === 1 && !seen.has(h.id)) {
        seen.add(h.id);
        contextWords += 1;
        aiWords += c.isAiContext[h.id]!;
      }
    }
  }
  const occurrences = findOccurrences(c, scans);
  if (occurrences.length === 0) return { tags: [], storyContext: contextWords, aiContext: aiWords };
  const pending: Array<{ o: Occurrence; requires: CompiledAlias['requires'] }> = [];
  for (const o of occurrences) {
    if (isVetoed(c, o, scans)) continue;
    const requires = requirement(c, o);
    if (requires === 'none') o.how = 'strong';
    else if (nearHit(o, o.alias.confirm)) o.how = 'confirmed';
    else pending.push({ o, requires });
  }
  const strong = new Set<number>();
  for (const o of occurrences) if (o.how !== undefined) strong.add(o.alias.company);
  for (const { o, requires } of pending) {
    if (strong.has(o.alias.company)) o.how = 'supported';
    else if (requires === 'context' && contextCount(c, o, scans, strong) >= c.settings.context_min) o.how = 'context';
  }
  const tags = companyTags(c, occurrences);
  const aiCompanies = new Set<number>();
  for (const o of occurrences) if (o.how !== undefined && o.alias.ai) aiCompanies.add(o.alias.company);
  return { tags, storyContext: contextWords + tags.length, aiContext: aiWords + aiCompanies.size };
}
