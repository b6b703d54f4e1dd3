/**
 * Bytes → text for feed documents. Order of evidence: a byte-order mark (it cannot lie), the
 * charset parameter of the HTTP Content-Type, UTF-16 recognised by its NUL bytes, the XML
 * declaration's encoding, UTF-8 for JSON, else UTF-8. Two repairs real readers make too: text
 * declared Latin-1/windows-1252 that is valid multi-byte UTF-8 is read as UTF-8, and "UTF-8" whose
 * high bytes are mostly not valid UTF-8 is read as windows-1252 (feedparser's fallback; a few stray
 * bytes in real UTF-8 stay U+FFFD). ISO-8859-1 and US-ASCII are decoded as windows-1252, as browsers
 * do (the WHATWG labels map them there). The result has no BOM and no whitespace before the first `<` or `{`, and
 * the XML declaration no longer matters: the parser works on this string and never re-decodes it.
 */

type Endian = 'utf-16le' | 'utf-16be';

function bomEncoding(body: Buffer): string | null {
  if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return 'utf-8';
  if (body.length >= 2 && body[0] === 0xff && body[1] === 0xfe) return 'utf-16le';
  if (body.length >= 2 && body[0] === 0xfe && body[1] === 0xff) return 'utf-16be';
  return null;
}

/** UTF-16 without a BOM shows up as NUL bytes in every other position of ASCII markup. */
function sniffUtf16(body: Buffer): Endian | null {
  const n = Math.min(body.length, 512) & ~1;
  if (n < 4) return null;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (body[i] === 0) evenNul += 1;
    if (body[i + 1] === 0) oddNul += 1;
  }
  const pairs = n / 2;
  if (oddNul > pairs * 0.4 && evenNul < pairs * 0.05) return 'utf-16le';
  if (evenNul > pairs * 0.4 && oddNul < pairs * 0.05) return 'utf-16be';
  return null;
}

/** A TextDecoder label we can use, or null for unknown/nonsense names. */
function supportedEncoding(label: string | null | undefined): string | null {
  if (!label) return null;
  const candidates = [label.trim(), label.trim().replace(/_/g, '-'), label.trim().replace(/^win-?/i, 'windows-')];
  for (const candidate of candidates) {
    try {
      return new TextDecoder(candidate).encoding;
    } catch {
      // try the next spelling
    }
  }
  return null;
}

function headerCharset(contentType: string | null): string | null {
  if (!contentType) return null;
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2] ?? null) : null;
}

function declaredEncoding(body: Buffer): string | null {
  const head = body.subarray(0, 1024).toString('latin1');
  const match = /<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']/i.exec(head);
  return match ? (match[1] ?? null) : null;
}

function isValidUtf8(body: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return true;
  } catch {
    return false;
  }
}

/** Counts well-formed multi-byte UTF-8 sequences and stray high bytes (first MB). */
function utf8Evidence(body: Buffer): { valid: number; invalid: number } {
  const limit = Math.min(body.length, 1 << 20);
  let valid = 0;
  let invalid = 0;
  for (let i = 0; i < limit; i += 1) {
    const b = body[i] ?? 0;
    if (b < 0x80) continue;
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    let ok = need > 0;
    for (let k = 1; ok && k <= need; k += 1) ok = ((body[i + k] ?? 0) & 0xc0) === 0x80;
    if (ok) {
      valid += 1;
      i += need;
    } else {
      invalid += 1;
    }
  }
  return { valid, invalid };
}

function hasHighBytes(body: Buffer): boolean {
  return body.some((b) => b >= 0x80);
}

/** Applies the two repairs described above to a chosen single-byte/UTF-8 encoding. */
function repairChoice(encoding: string, body: Buffer): string {
  if (encoding === 'utf-8' && !isValidUtf8(body)) {
    const { valid, invalid } = utf8Evidence(body);
    if (invalid > valid) return 'windows-1252';
  }
  if (encoding === 'windows-1252' && hasHighBytes(body) && isValidUtf8(body)) return 'utf-8';
  return encoding;
}

/** Picks the encoding; a UTF-16 declaration on bytes without NUL pattern is ignored (they are 8-bit). */
function chooseEncoding(body: Buffer, contentType: string | null): string {
  const bom = bomEncoding(body);
  if (bom) return bom;
  const sniffed16 = sniffUtf16(body);
  const fromHeader = supportedEncoding(headerCharset(contentType));
  if (fromHeader) {
    if (fromHeader.startsWith('utf-16')) return sniffed16 ?? fromHeader;
    return sniffed16 ?? repairChoice(fromHeader, body);
  }
  if (sniffed16) return sniffed16;
  const firstByte = body.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  if (firstByte === 0x7b /* { */) return repairChoice('utf-8', body);
  const declared = supportedEncoding(declaredEncoding(body));
  if (declared && !declared.startsWith('utf-16')) return repairChoice(declared, body);
  return repairChoice('utf-8', body);
}

/** windows-1252 bytes 0x80-0x9F (the WHATWG table; unassigned bytes stay C1 code points). */
const CP1252_HIGH =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

/**
 * C1 control characters are never meant in feed text; they are windows-1252 punctuation that went
 * through a Latin-1 step ("demoronizing", as feedparser does). Node 20's TextDecoder also decodes
 * windows-1252 as plain Latin-1 (0x80 → U+0080 instead of €), so this mapping completes it.
 */
function mapC1Controls(text: string): string {
  return text.replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80] ?? c);
}

/** Decodes a fetched feed body to text, following the order of evidence described above. */
export function decodeFeedBody(body: Buffer, contentType: string | null): string {
  const encoding = chooseEncoding(body, contentType);
  const text = new TextDecoder(encoding).decode(body);
  return mapC1Controls(text).replace(/^[\uFEFF\s\u0000]+/, '');
}
