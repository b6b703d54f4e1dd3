import { AppError } from '../shared/errors.js';

/**
 * Compiles what a person types in `q` into a safe SQLite FTS5 expression.
 *
 * Understood: bare words (AND by default), "quoted phrases", prefixes (`deeps*`), the operators AND, OR
 * and NOT (upper case only; lower-case "and" is a word), `+word` (must appear: the default) and `-word`
 * (must not appear), and parentheses. Every term leaves double-quoted (`"term"`, `"pre"*`), so FTS5
 * syntax in user input (column filters `title:`, `^`, `NEAR(...)`, stray quotes or brackets) is only
 * ever text to search for. Unbalanced quotes and parentheses are tolerated; dangling operators are
 * dropped; an AND group made only of negations cannot be expressed in FTS5 (NOT is binary there) and
 * is dropped too. A query left with nothing to search for is a 400.
 */

type Token =
  | { t: 'open' }
  | { t: 'close' }
  | { t: 'and' }
  | { t: 'or' }
  | { t: 'not' }
  | { t: 'term'; text: string; prefix: boolean; negated: boolean };

type Node = { k: 'term'; text: string; prefix: boolean } | { k: 'and'; pos: Node[]; neg: Node[] } | { k: 'or'; items: Node[] };

/** Parentheses nested deeper than this are read as plain grouping of the level above (FTS5's parser has a stack limit). */
const MAX_DEPTH = 8;
/** Characters the FTS5 unicode61 tokenizer keeps inside tokens (its default categories: L* N* Co). */
const SEARCHABLE = /[\p{L}\p{N}\p{Co}]/u;

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let depth = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '"' || ((ch === '-' || ch === '+') && input[i + 1] === '"')) {
      const negated = ch === '-';
      const start = ch === '"' ? i + 1 : i + 2;
      const end = input.indexOf('"', start);
      const text = input.slice(start, end === -1 ? input.length : end);
      i = end === -1 ? input.length : end + 1;
      const prefix = input[i] === '*';
      while (input[i] === '*') i++;
      tokens.push({ t: 'term', text, prefix, negated });
    } else if (ch === '(') {
      depth++;
      if (depth <= MAX_DEPTH) tokens.push({ t: 'open' });
      i++;
    } else if (ch === ')') {
      if (depth > 0 && depth <= MAX_DEPTH) tokens.push({ t: 'close' });
      depth = Math.max(0, depth - 1);
      i++;
    } else {
      let j = i;
      while (j < input.length && !/[\s"()]/.test(input[j]!)) j++;
      const word = input.slice(i, j);
      i = j;
      if (word === 'AND' || word === 'OR' || word === 'NOT') {
        tokens.push({ t: word === 'AND' ? 'and' : word === 'OR' ? 'or' : 'not' });
        continue;
      }
      const negated = word.length > 1 && word.startsWith('-');
      let text = negated || (word.length > 1 && word.startsWith('+')) ? word.slice(1) : word;
      const prefix = text.endsWith('*');
      text = text.replace(/\*+$/, '');
      tokens.push({ t: 'term', text, prefix, negated });
    }
  }
  return tokens;
}

/** Recursive descent over the tokens: or := and (OR and)*; and := unary ([AND] unary)*; unary := NOT unary | primary. */
function parse(tokens: Token[]): Node | null {
  let pos = 0;
  const peek = () => tokens[pos];

  function parseOr(): Node | null {
    const items: Node[] = [];
    for (;;) {
      const item = parseAnd();
      if (item) items.push(item);
      if (peek()?.t === 'or') {
        pos++;
        continue;
      }
      break;
    }
    if (items.length === 0) return null;
    return items.length === 1 ? items[0]! : { k: 'or', items };
  }

  function parseAnd(): Node | null {
    const group: { k: 'and'; pos: Node[]; neg: Node[] } = { k: 'and', pos: [], neg: [] };
    for (;;) {
      const tok = peek();
      if (!tok || tok.t === 'or' || tok.t === 'close') break;
      if (tok.t === 'and') {
        pos++;
        continue;
      }
      let negated = false;
      while (peek()?.t === 'not') {
        pos++;
        negated = !negated;
      }
      const unary = parsePrimary();
      if (!unary) continue;
      (negated !== unary.negated ? group.neg : group.pos).push(unary.node);
    }
    if (group.pos.length === 0) return null; // nothing positive to match: FTS5 has no unary NOT
    if (group.pos.length === 1 && group.neg.length === 0) return group.pos[0]!;
    return group;
  }

  function parsePrimary(): { node: Node; negated: boolean } | null {
    const tok = peek();
    if (!tok) return null;
    if (tok.t === 'open') {
      pos++;
      const inner = parseOr();
      if (peek()?.t === 'close') pos++;
      return inner ? { node: inner, negated: false } : null;
    }
    if (tok.t === 'term') {
      pos++;
      if (!SEARCHABLE.test(tok.text)) return null;
      return { node: { k: 'term', text: tok.text, prefix: tok.prefix }, negated: tok.negated };
    }
    // An operator where a term should be (e.g. "AND OR x" or "NOT" at the end): skip it.
    if (tok.t === 'close') return null;
    pos++;
    return null;
  }

  const nodes: Node[] = [];
  while (pos < tokens.length) {
    const node = parseOr();
    if (node) nodes.push(node);
    if (peek()?.t === 'close') pos++; // a stray ")" at top level
    else if (pos < tokens.length && !node) pos++;
  }
  if (nodes.length === 0) return null;
  return nodes.length === 1 ? nodes[0]! : { k: 'and', pos: nodes, neg: [] };
}

function emit(node: Node): string {
  switch (node.k) {
    case 'term':
      return `"${node.text.replaceAll('"', '""')}"${node.prefix ? '*' : ''}`;
    case 'or':
      return node.items.map((n) => wrap(n, 'or')).join(' OR ');
    case 'and': {
      const positive = node.pos.map((n) => wrap(n, 'and')).join(' AND ');
      if (node.neg.length === 0) return positive;
      const negative = node.neg.length === 1 ? wrap(node.neg[0]!, 'not') : `(${node.neg.map((n) => wrap(n, 'or')).join(' OR ')})`;
      return `${node.pos.length > 1 ? `(${positive})` : positive} NOT ${negative}`;
    }
  }
}

/** Parenthesizes a child unless it binds at least as tightly as its parent (terms never need it). */
function wrap(node: Node, parent: 'or' | 'and' | 'not'): string {
  const inner = emit(node);
  if (node.k === 'term') return inner;
  if ((parent === 'or' || parent === 'and') && node.k === 'and' && node.neg.length === 0) return inner;
  return `(${inner})`;
}

/** The FTS5 expression for `q`, or a 400 naming `q` when it has nothing to search for. */
export function compileFtsQuery(input: string): string {
  // Control characters are never words, and a NUL would end the expression early inside SQLite.
  const tokens = tokenize(input.replace(/[\u0000-\u001f\u007f]/g, ' '));
  const tree = parse(tokens);
  if (!tree) {
    const onlyExcluded = tokens.some((t) => t.t === 'term' && SEARCHABLE.test(t.text));
    const message = onlyExcluded ? 'q only excludes words (NOT, -word); give at least one word to search for' : 'q has no words to search for';
    throw new AppError('VALIDATION_FAILED', message, { details: { parameter: 'query.q' } });
  }
  return emit(tree);
}
