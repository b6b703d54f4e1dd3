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
const NON_ASCII_RE = /[^\x00-\x7f]/;
const MARKS_RE = /\p{M}/gu;

const OTHER = 0;
const LETTER = 1;
const DIGIT = 2;

/** Per character code (below 0x2213), what it is between two tokens. */
const PLAIN = 1; // spaces, hyphens, dashes, apostrophes, slashes, currency, %, & and +
const SPACE = 2; // ' ', tab, CR, LF, no-break space
const SENTENCE_END = 4; // . ! ? : ;
const GAP_CLASS = new Uint8Array(0x2213);
for (const ch of ' \t\u00a0/\'’‘`·_+&$€£¥₹₩%-‐‑‒–—―−') GAP_CLASS[ch.charCodeAt(0)]! |= PLAIN;
for (const ch of ' \t\n\r\u00a0') GAP_CLASS[ch.charCodeAt(0)]! |= SPACE;
for (const ch of '.!?:;') GAP_CLASS[ch.charCodeAt(0)]! |= SENTENCE_END;

/** What `/\s/` matches, by character code. */
function isWhitespace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

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

const GAPS: readonly Gap[] = ['attached', 'plain', 'dot', 'broken'];
/** classifyGap's answer: an index into GAPS, plus SENTENCE_BREAK when the characters end a sentence. */
const SENTENCE_BREAK = 4;

/** Classifies the characters between two tokens, and whether they end a sentence (no allocation: it runs for every token). */
function classifyGap(text: string, from: number, to: number): number {
  if (from === to) return 0;
  let plain = true;
  let dotsOnly = true;
  let hasDot = false;
  let sentenceEnd = false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const k = c < 0x2213 ? GAP_CLASS[c]! : 0;
    if (c === 10 || c === 13) sentenceEnd = true;
    else if ((k & SENTENCE_END) !== 0 && i + 1 < to && isWhitespace(text.charCodeAt(i + 1))) sentenceEnd = true;
    if ((k & (PLAIN | SPACE)) === 0) plain = false;
    if (c === 46) hasDot = true;
    else if ((k & (PLAIN | SPACE)) === 0) dotsOnly = false;
  }
  const gap = plain ? 1 : dotsOnly && hasDot ? 2 : 3;
  return sentenceEnd ? gap | SENTENCE_BREAK : gap;
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

/** Set by letterEnd: the word has a capital or a non-ASCII letter, so its key is not the word as written. */
let wordNeedsFolding = false;

/** End of a word starting at i (see wordNeedsFolding). */
function letterEnd(text: string, i: number): number {
  let j = i;
  wordNeedsFolding = false;
  for (;;) {
    const c = j < text.length ? text.charCodeAt(j) : 0;
    if (c >= 97 && c <= 122) j += 1;
    else if (c >= 65 && c <= 90) {
      wordNeedsFolding = true;
      j += 1;
    } else if (c >= 128 && classAt(text, j) === LETTER) {
      wordNeedsFolding = true;
      j += charWidth(text, j);
    } else return j;
  }
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
    const isNum = cls === DIGIT;
    const end = isNum ? numberEnd(text, i) : letterEnd(text, i);
    const folded = !isNum && wordNeedsFolding;
    const raw = text.slice(start, end);
    const between = prevEnd < 0 ? SENTENCE_BREAK : classifyGap(text, prevEnd, start);
    let isMoney = false;
    let isPct = false;
    if (isNum) {
      isMoney = start > 0 && CURRENCY.has(text.charAt(start - 1));
      isPct = text.charAt(end) === '%' || (text.charAt(end) === ' ' && text.charAt(end + 1) === '%');
    }
    tokens.push({
      raw,
      key: folded ? foldKey(raw) : raw, // lower-case ASCII letters and digits are their own key
      start,
      end,
      gap: prevEnd < 0 ? 'start' : GAPS[between & 3]!,
      isNum,
      isMoney,
      isPct,
      sentenceStart: (between & SENTENCE_BREAK) !== 0,
    });
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
