/**
 * Parses one taxonomy phrase ("GPT-{num}", "export controls", "regulat*", "{money} billion") into the
 * token pattern the matcher looks for. Words are tokenized like story text, so "DeepSeek-R1",
 * "DeepSeek R1" and "DeepSeek‑R1" are the same phrase.
 *
 * - `{num}` any number, `{money}` a number right after $ € £ ¥, `{pct}` a number right before %.
 * - `word*` at the end: any word starting with "word" (at least 3 letters before the star).
 * - Letters and digits written together in the phrase ("A100", "MI355X") must be together in the text;
 *   a hyphen or space in the phrase ("GPT-4o") also accepts text written together ("GPT4o").
 *   A dot in the phrase ("Z.ai") requires a dot in the text.
 * - Case ("cap" mode, the default): a word written Capitalised must start with a capital in the text,
 *   a word in CAPITALS must be in capitals, a word like "xAI" or "iPhone" must match exactly, and a
 *   lower-case word matches any case. "exact" compares every word exactly; "any" ignores case.
 */
import type { CaseMode } from './schema.js';
import { foldKey } from './tokenize.js';

export type PhraseTokenKind = 'word' | 'num' | 'money' | 'pct';
export type PhraseGap = 'start' | 'any' | 'attached' | 'dot';
export type CaseRule = 'none' | 'initial' | 'upper' | 'exact';

export interface PhraseToken {
  kind: PhraseTokenKind;
  raw: string;
  key: string;
  prefix: boolean;
  gap: PhraseGap;
  caseRule: CaseRule;
}

export interface Phrase {
  text: string;
  tokens: PhraseToken[];
  plural: boolean;
}

const PHRASE_TOKEN_RE = /\{([a-z]*)\}|([\p{L}\p{M}]+)(\*?)|(\p{Nd}+(?:[.,]\p{Nd}+)*)/gu;
const PLACEHOLDERS = new Set(['num', 'money', 'pct']);

function caseRuleFor(raw: string, mode: CaseMode): CaseRule {
  if (mode === 'any') return 'none';
  if (mode === 'exact') return 'exact';
  if (raw === raw.toLowerCase()) return 'none';
  if (raw.length >= 2 && raw === raw.toUpperCase()) return 'upper';
  const first = raw.charAt(0);
  return first !== first.toLowerCase() ? 'initial' : 'exact';
}

function gapFor(between: string, first: boolean): PhraseGap {
  if (first) return 'start';
  if (between.length === 0) return 'attached';
  return between.includes('.') ? 'dot' : 'any';
}

/** Parses a phrase; throws an Error with a plain message when the phrase cannot be matched. */
export function parsePhrase(text: string, mode: CaseMode, plural: boolean): Phrase {
  const tokens: PhraseToken[] = [];
  let prevEnd = -1;
  for (const m of text.matchAll(PHRASE_TOKEN_RE)) {
    const between = prevEnd < 0 ? '' : text.slice(prevEnd, m.index);
    if (/[{}*]/.test(between)) throw new Error(`"${text}" has a stray "{", "}" or "*"`);
    const gap = gapFor(between, tokens.length === 0);
    const [whole, placeholder, word, star, digits] = m;
    if (placeholder !== undefined) {
      if (!PLACEHOLDERS.has(placeholder)) throw new Error(`"${text}" uses unknown placeholder {${placeholder}} (use {num}, {money} or {pct})`);
      tokens.push({ kind: placeholder as PhraseTokenKind, raw: whole, key: `#${placeholder}`, prefix: false, gap, caseRule: 'none' });
    } else if (word !== undefined) {
      const isPrefix = star === '*';
      if (isPrefix && word.length < 3) throw new Error(`"${text}": a prefix needs at least 3 letters before "*"`);
      tokens.push({ kind: 'word', raw: word, key: foldKey(word), prefix: isPrefix, gap, caseRule: caseRuleFor(word, mode) });
    } else if (digits !== undefined) {
      tokens.push({ kind: 'word', raw: digits, key: digits, prefix: false, gap, caseRule: 'none' });
    }
    prevEnd = m.index + whole.length;
  }
  if (tokens.length === 0) throw new Error(`"${text}" has no words to match`);
  if (/[{}*]/.test(text.slice(prevEnd))) throw new Error(`"${text}" has a stray "{", "}" or "*"`);
  if (tokens.slice(0, -1).some((t) => t.prefix)) throw new Error(`"${text}": "*" is only allowed at the end of the last word`);
  return { text, tokens, plural };
}

/** A stable key so the same phrase used in several places is matched once. */
export function phraseKey(p: Phrase): string {
  const parts = p.tokens.map((t) => `${t.gap}:${t.key}${t.prefix ? '*' : ''}:${t.caseRule}:${t.caseRule === 'exact' ? t.raw : ''}`);
  return `${parts.join('|')}|${p.plural ? 'p' : ''}`;
}
