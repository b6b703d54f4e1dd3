/**
 * The compiled matcher: every phrase of the taxonomy (company aliases, context words, veto and confirm
 * phrases, theme signals) in one token trie. A text is tokenized once and each token position is looked
 * up in Maps, so the cost grows with the text, not with the number of phrases.
 */
import type { Phrase, PhraseGap, PhraseToken } from './phrase.js';
import type { Gap, Token } from './tokenize.js';

/** A phrase found in a text: token positions are inclusive. */
export interface Hit {
  id: number;
  start: number;
  end: number;
  /** Found only because the text has no capitals at all and the phrase's case rule was waived (see scan). */
  relaxed?: true;
}

/** How the text spelled the last word: 0 as written, 1 with -s/-es, 2 with y → -ies. */
type Variant = 0 | 1 | 2;
interface End {
  id: number;
  variant: Variant;
}
interface PrefixEdge {
  gap: number;
  prefix: string;
  ends: End[];
}
/** Children by gap code (see GAP_CODE), then by token key ("openai", "#num", "#money", "#pct"). */
interface Node {
  next: Array<Map<string, Node> | undefined>;
  ends: End[] | null;
  prefixes: PrefixEdge[] | null;
}

export interface Matcher {
  readonly phrases: readonly Phrase[];
  /**
   * Every phrase found in the tokens. `caseless` (indexed by phrase id) waives the case rules of the
   * phrases it marks, for a text written without capitals ("openai and amd sign chip deal").
   */
  scan(tokens: Token[], caseless?: Uint8Array): Hit[];
}

const GAP_CODE: Record<PhraseGap, number> = { start: 0, any: 1, attached: 2, dot: 3 };
/** Which phrase gaps a text gap satisfies: glued text also matches a phrase written with a hyphen. */
const TEXT_GAP_CODES: Record<Gap, readonly number[]> = { start: [], attached: [2, 1], plain: [1], dot: [3], broken: [] };
const START_CODES: readonly number[] = [0];

function newNode(): Node {
  return { next: [], ends: null, prefixes: null };
}

function childFor(node: Node, gap: number, key: string): Node {
  const map = (node.next[gap] ??= new Map());
  let child = map.get(key);
  if (!child) map.set(key, (child = newNode()));
  return child;
}

function pluralKeys(key: string): Array<[string, Variant]> {
  if (!/^[a-z]+$/.test(key) || key.length < 2) return [];
  const out: Array<[string, Variant]> = [];
  if (/(s|x|z|ch|sh)$/.test(key)) out.push([`${key}es`, 1]);
  else out.push([`${key}s`, 1]);
  if (/[^aeiou]y$/.test(key)) out.push([`${key.slice(0, -1)}ies`, 2]);
  return out;
}

function addEnd(node: Node, end: End): void {
  (node.ends ??= []).push(end);
}

function insertPhrase(root: Node, phrase: Phrase, id: number): void {
  let node = root;
  const last = phrase.tokens.length - 1;
  phrase.tokens.forEach((t, i) => {
    const gap = GAP_CODE[t.gap];
    if (i === last && t.prefix) {
      (node.prefixes ??= []).push({ gap, prefix: t.key, ends: [{ id, variant: 0 }] });
      return;
    }
    if (i === last && phrase.plural && t.kind === 'word') {
      for (const [key, variant] of pluralKeys(t.key)) addEnd(childFor(node, gap, key), { id, variant });
    }
    node = childFor(node, gap, t.kind === 'word' ? t.key : `#${t.kind}`);
    if (i === last) addEnd(node, { id, variant: 0 });
  });
}

function checkCase(pt: PhraseToken, raw: string, variant: Variant): boolean {
  if (pt.caseRule === 'none') return true;
  const stem = pt.prefix ? raw : raw.slice(0, variant === 2 ? pt.raw.length - 1 : pt.raw.length);
  switch (pt.caseRule) {
    case 'initial': {
      const c = stem.charAt(0);
      return c !== c.toLowerCase();
    }
    case 'upper':
      return stem === stem.toUpperCase();
    case 'exact':
      return variant === 2 ? stem === pt.raw.slice(0, -1) : stem === pt.raw;
  }
}

function caseMatches(phrase: Phrase, tokens: Token[], start: number, variant: Variant): boolean {
  const pts = phrase.tokens;
  const last = pts.length - 1;
  for (let i = 0; i <= last; i++) {
    const pt = pts[i]!;
    if (pt.caseRule !== 'none' && pt.kind === 'word' && !checkCase(pt, tokens[start + i]!.raw, i === last ? variant : 0)) return false;
  }
  return true;
}

/**
 * Where a match may end: the next token must not be glued to the last one, except a version number
 * after a name ("Llama3"), a plural s after a model number ("H100s"), or a short suffix after a
 * number placeholder ("GPT-{num}" on "GPT-4o", "Ascend {num}" on "910C"). Returns the end, or -1.
 */
function endBoundary(phrase: Phrase, tokens: Token[], j: number): number {
  const next = tokens[j + 1];
  if (!next || next.gap !== 'attached') return j;
  const cur = tokens[j]!;
  if (!cur.isNum && next.isNum) return j;
  if (cur.isNum && !next.isNum) {
    if (next.key === 's') return j + 1;
    const lastKind = phrase.tokens[phrase.tokens.length - 1]!.kind;
    if (lastKind !== 'word' && next.raw.length <= 3) return j + 1;
  }
  return -1;
}

export function compileMatcher(phrases: readonly Phrase[]): Matcher {
  const root = newNode();
  phrases.forEach((p, id) => insertPhrase(root, p, id));

  /** The current scan's `caseless` (set by scan, read by emit: one scan runs at a time, synchronously). */
  let waived: Uint8Array | undefined;

  function emit(ends: End[], tokens: Token[], start: number, j: number, out: Hit[]): void {
    for (let k = 0; k < ends.length; k++) {
      const e = ends[k]!;
      const phrase = phrases[e.id]!;
      if (phrase.tokens.length !== j - start + 1) continue;
      const cased = caseMatches(phrase, tokens, start, e.variant);
      if (!cased && waived?.[e.id] !== 1) continue;
      const end = endBoundary(phrase, tokens, j);
      if (end >= 0) out.push(cased ? { id: e.id, start, end } : { id: e.id, start, end, relaxed: true });
    }
  }

  function step(node: Node, tokens: Token[], start: number, j: number, out: Hit[]): void {
    const t = tokens[j];
    if (!t) return;
    const codes = j === start ? START_CODES : TEXT_GAP_CODES[t.gap];
    for (let k = 0; k < codes.length; k++) {
      const g = codes[k]!;
      const map = node.next[g];
      if (map) {
        visit(map.get(t.key), tokens, start, j, out);
        if (t.isNum) {
          visit(map.get('#num'), tokens, start, j, out);
          if (t.isMoney) visit(map.get('#money'), tokens, start, j, out);
          if (t.isPct) visit(map.get('#pct'), tokens, start, j, out);
        }
      }
      if (node.prefixes) {
        for (const pe of node.prefixes) if (pe.gap === g && t.key.startsWith(pe.prefix)) emit(pe.ends, tokens, start, j, out);
      }
    }
  }

  function visit(node: Node | undefined, tokens: Token[], start: number, j: number, out: Hit[]): void {
    if (!node) return;
    if (node.ends) emit(node.ends, tokens, start, j, out);
    if (node.next.length > 0 || node.prefixes) step(node, tokens, start, j + 1, out);
  }

  return {
    phrases,
    scan(tokens: Token[], caseless?: Uint8Array): Hit[] {
      waived = caseless;
      const out: Hit[] = [];
      for (let i = 0; i < tokens.length; i++) {
        if (tokens[i]!.gap === 'attached') continue; // a match never starts inside a word ("mo3" is not "o3")
        step(root, tokens, i, i, out);
      }
      return out;
    },
  };
}
