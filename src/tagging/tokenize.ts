/**
 * Splits plain text into word tokens with offsets, once per field. Letters and digits form separate
 * tokens ("GPT-4o" → gpt | 4 | o, "H100s" → h | 100 | s) so that versions, plurals and possessives
 * line up with the taxonomy's phrases, which are tokenized the same way. Keys are lower-cased and
 * stripped of diacritics ("Räikkönen" → "raikkonen"); `raw` keeps the original spelling for case rules.
 */

/** How a token is joined to the one before it. */
export type Gap =
  | 'start' // first token of the text
  | 'attached' // no character in between ("GPT4o": gpt→4→o)
  | 'plain' // spaces, hyphens, dashes, apostrophes, slashes, currency and % ("Llama 3.1", "OpenAI's", "raises $5bn")
  | 'dot' // dots, with spaces or hyphens ("Z.ai", "C.C. Wei", "U.S.-China", but also a sentence end)
  | 'broken'; // any other punctuation: commas, colons, brackets, quotes

export interface Token {
  raw: string;
  key: string;
  start: number;
  end: number;
  gap: Gap;
  isNum: boolean;
  isMoney: boolean;
  isPct: boolean;
  /** First token of the text or of a sentence (after . ! ? or a colon). */
  sentenceStart: boolean;
}

const LETTER_RE = /[\p{L}\p{M}]/u;
const DIGIT_RE = /\p{Nd}/u;
const CURRENCY = new Set(['$', '€', '£', '¥', '₹', '₩']);
const PLAIN_GAP = new Set([...' \t\u00a0/\'’‘`·_+&$€£¥₹₩%-‐‑‒–—―−']);
const SENTENCE_END = new Set(['.', '!', '?', ':', ';']);
const NON_ASCII_RE = /[^\x00-\x7f]/;
const MARKS_RE = /\p{M}/gu;

const OTHER = 0;
const LETTER = 1;
const DIGIT = 2;

/** Lower-case and strip diacritics, the same way for text and for taxonomy phrases. */
export function foldKey(s: string): string {
  const lower = s.toLowerCase();
  return NON_ASCII_RE.test(lower) ? lower.normalize('NFD').replace(MARKS_RE, '') : lower;
}

function classAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 128) {
    const l = c | 32;
    if (l >= 97 && l <= 122) return LETTER;
    return c >= 48 && c <= 57 ? DIGIT : OTHER;
  }
  const ch = String.fromCodePoint(text.codePointAt(i)!);
  if (LETTER_RE.test(ch)) return LETTER;
  return DIGIT_RE.test(ch) ? DIGIT : OTHER;
}

function charWidth(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff ? 2 : 1;
}

/** Classifies the characters between two tokens, and whether they end a sentence. */
function classifyGap(text: string, from: number, to: number): { gap: Gap; sentenceEnd: boolean } {
  if (from === to) return { gap: 'attached', sentenceEnd: false };
  let plain = true;
  let dotsOnly = true;
  let hasDot = false;
  let sentenceEnd = false;
  for (let i = from; i < to; i++) {
    const ch = text.charAt(i);
    if (ch === '\n' || ch === '\r') sentenceEnd = true;
    else if (SENTENCE_END.has(ch) && i + 1 < to && /\s/.test(text.charAt(i + 1))) sentenceEnd = true;
    const isSpace = ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\u00a0';
    if (!PLAIN_GAP.has(ch) && !isSpace) plain = false;
    if (ch === '.') hasDot = true;
    else if (!isSpace && !PLAIN_GAP.has(ch)) dotsOnly = false;
  }
  if (plain) return { gap: 'plain', sentenceEnd };
  return { gap: dotsOnly && hasDot ? 'dot' : 'broken', sentenceEnd };
}

/** End of a number starting at i: digits, with single . or , between digit groups ("2.5", "1,000"). */
function numberEnd(text: string, i: number): number {
  let j = i;
  for (;;) {
    while (j < text.length && classAt(text, j) === DIGIT) j += charWidth(text, j);
    const sep = text.charAt(j);
    if ((sep === '.' || sep === ',') && j + 1 < text.length && classAt(text, j + 1) === DIGIT) j += 1;
    else return j;
  }
}

function letterEnd(text: string, i: number): number {
  let j = i;
  while (j < text.length && classAt(text, j) === LETTER) j += charWidth(text, j);
  return j;
}

export function tokenizeText(text: string): Token[] {
  const tokens: Token[] = [];
  let prevEnd = -1;
  let i = 0;
  while (i < text.length) {
    const cls = classAt(text, i);
    if (cls === OTHER) {
      i += charWidth(text, i);
      continue;
    }
    const start = i;
    const end = cls === DIGIT ? numberEnd(text, i) : letterEnd(text, i);
    const raw = text.slice(start, end);
    const between = prevEnd < 0 ? { gap: 'start' as Gap, sentenceEnd: true } : classifyGap(text, prevEnd, start);
    const isNum = cls === DIGIT;
    let isMoney = false;
    let isPct = false;
    if (isNum) {
      isMoney = start > 0 && CURRENCY.has(text.charAt(start - 1));
      isPct = text.charAt(end) === '%' || (text.charAt(end) === ' ' && text.charAt(end + 1) === '%');
    }
    tokens.push({ raw, key: isNum ? raw : foldKey(raw), start, end, gap: between.gap, isNum, isMoney, isPct, sentenceStart: between.sentenceEnd });
    prevEnd = end;
    i = end;
  }
  return tokens;
}

const CAPITAL_RE = /\p{Lu}|\p{Lt}/u;

/**
 * True when the text has no capital letter at all and at least four words: "openai and amd sign chip
 * deal". One regex pass over the text (capitals only occur inside tokens); stops at the first capital.
 */
export function isLowerCase(text: string, tokens: Token[]): boolean {
  if (CAPITAL_RE.test(text)) return false;
  let words = 0;
  for (const t of tokens) if (!t.isNum && ++words >= 4) return true;
  return false;
}

/** True when most longer words are capitalised, as in "Meta Signs $10 Billion Cloud Deal With Google". */
export function isTitleCase(tokens: Token[], ratio: number): boolean {
  let long = 0;
  let capital = 0;
  for (const t of tokens) {
    if (t.isNum || t.raw.length < 4) continue;
    long += 1;
    const first = t.raw.charAt(0);
    if (first !== first.toLowerCase()) capital += 1;
  }
  return long >= 3 && capital / long >= ratio;
}
