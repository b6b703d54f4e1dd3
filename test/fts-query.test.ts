import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFtsQuery } from '../src/api/fts-query.js';
import { isAppError } from '../src/shared/errors.js';

// The same FTS5 definition as migrations/0001_init.sql, over a few known rows.
const db = new Database(':memory:');
db.exec(`CREATE VIRTUAL TABLE stories_fts USING fts5 (title, summary, tokenize = 'porter unicode61 remove_diacritics 2')`);
const rows: Array<[number, string, string]> = [
  [1, 'DeepSeek releases R1', 'An open-source reasoning model at a fraction of the cost'],
  [2, 'OpenAI prices fall', 'Cheaper tokens for GPT-4o: efficiency gains'],
  [3, 'Nvidia loses $600bn', 'Export controls and DeepSeek shake chip stocks'],
  [4, 'EU AI Act takes effect', 'Regulation for general-purpose models; title: not a column filter'],
  [5, 'Meta open sources Llama', 'Open weights, again, and NEAR term plans'],
  [6, 'Café society', 'Ünïcödé diacritics are folded'],
];
const insert = db.prepare('INSERT INTO stories_fts (rowid, title, summary) VALUES (?, ?, ?)');
for (const r of rows) insert.run(...r);
const search = db.prepare('SELECT rowid FROM stories_fts WHERE stories_fts MATCH ? ORDER BY rowid').pluck();
afterAll(() => db.close());

const find = (q: string) => search.all(compileFtsQuery(q)) as number[];
const noWords = (q: string) => {
  try {
    compileFtsQuery(q);
    return false;
  } catch (err) {
    return isAppError(err) && err.statusCode === 400 && err.details?.parameter === 'query.q';
  }
};

describe('compileFtsQuery: what it emits', () => {
  it.each([
    ['deepseek', '"deepseek"'],
    ['deepseek efficiency', '"deepseek" AND "efficiency"'],
    ['"open source" model', '"open source" AND "model"'],
    ['deeps*', '"deeps"*'],
    ['deeps***', '"deeps"*'],
    ['"open sou"*', '"open sou"*'],
    ['a OR b', '"a" OR "b"'],
    ['a OR b c', '"a" OR "b" AND "c"'],
    ['(a OR b) c', '("a" OR "b") AND "c"'],
    ['a AND b', '"a" AND "b"'],
    ['a NOT b', '"a" NOT "b"'],
    ['a AND NOT b', '"a" NOT "b"'],
    ['a -b -c', '"a" NOT ("b" OR "c")'],
    ['a b -c', '("a" AND "b") NOT "c"'],
    ['+a +b', '"a" AND "b"'],
    ['x AND NOT (y OR z)', '"x" NOT ("y" OR "z")'],
    ['-"foo bar" baz', '"baz" NOT "foo bar"'],
    ['NOT NOT a', '"a"'],
    ['and or not', '"and" AND "or" AND "not"'],
    ['"AND"', '"AND"'],
    ['title:foo', '"title:foo"'],
    ['^bar', '"^bar"'],
    ['NEAR(x y)', '"NEAR" AND "x" AND "y"'],
    ['col : "x', '"col" AND "x"'],
    ['"unbalanced', '"unbalanced"'],
    ['((a', '"a"'],
    ['a)) b', '"a" AND "b"'],
    ['a AND', '"a"'],
    ['OR a', '"a"'],
    ['a OR NOT b', '"a"'],
    ['a "b""c"', '"a" AND "b" AND "c"'],
    ['((((((((((((a b))))))))))))', '"a" AND "b"'],
    ['über', '"über"'],
    ['a{b}[c]', '"a{b}[c]"'],
  ])('%j → %s', (q, expected) => {
    expect(compileFtsQuery(q)).toBe(expected);
  });

  it.each(['', '   ', '***', 'AND', 'OR NOT', '()', '(((', '"', '""', '- + *', ':^', '🙂 🎉', '"  "*', '-'])('%j has no words: 400 naming q', (q) => {
    expect(noWords(q)).toBe(true);
  });

  it('says so when every word is excluded', () => {
    expect(() => compileFtsQuery('NOT openai')).toThrow(/only excludes words/);
    expect(() => compileFtsQuery('-openai -google')).toThrow(/only excludes words/);
  });
});

describe('compileFtsQuery: what it finds', () => {
  it.each([
    ['deepseek', [1, 3]],
    ['DeepSeek', [1, 3]],
    ['efficient', [2]], // porter: efficient ~ efficiency
    ['"open source"', [1, 5]], // porter: sources ~ source
    ['"open-source"', [1, 5]],
    ['open* source*', [1, 5]],
    ['deeps*', [1, 3]],
    ['deepseek OR meta', [1, 3, 5]],
    ['deepseek -nvidia', [1]],
    ['deepseek NOT chip*', [1]],
    ['(deepseek OR openai) AND (cost OR cheaper)', [1, 2]],
    ['title:not', [4]], // a column filter in user input is just words
    ['NEAR term', [5]],
    ['cafe', [6]],
    ['unicode', [6]],
    ['"fraction of the cost"', [1]],
    ['$600bn', [3]],
  ])('%j finds %j', (q, ids) => {
    expect(find(q)).toEqual(ids);
  });
});

describe('compileFtsQuery: any input is safe', () => {
  // Characters that mean something to FTS5 or to our parser, plus letters, spaces and odd unicode.
  const alphabet = fc.constantFrom(...'ab "()*:^-+.,;{}[]\\\'\t\n\0\u0001é日𝔸🙂ANDORNOTNEAR'.split(''), 'AND', 'OR', 'NOT', 'NEAR', 'NEAR(', 'title:', ' ', ' ');
  const queryish = fc.array(alphabet, { maxLength: 60 }).map((parts) => parts.join(''));

  it('compiles to an expression SQLite accepts, or to the 400', () => {
    fc.assert(
      fc.property(fc.oneof(queryish, fc.string({ maxLength: 500 }), fc.string({ unit: 'binary', maxLength: 200 })), (q) => {
        let expr: string;
        try {
          expr = compileFtsQuery(q);
        } catch (err) {
          expect(isAppError(err) && err.statusCode === 400).toBe(true);
          return;
        }
        expect(() => search.all(expr)).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });

  it('survives deep nesting and long inputs', () => {
    for (const q of ['('.repeat(250) + 'a' + ')'.repeat(250), '(a '.repeat(160), 'a OR '.repeat(100) + 'b', '"x" '.repeat(120), 'NOT '.repeat(120) + 'a b']) {
      const expr = compileFtsQuery(q);
      expect(() => search.all(expr)).not.toThrow();
    }
  });

  it('never lets a double quote or FTS5 syntax out of a term', () => {
    fc.assert(
      fc.property(queryish, (q) => {
        let expr: string;
        try {
          expr = compileFtsQuery(q);
        } catch {
          return;
        }
        // Outside the quoted terms only our own operators, parentheses, stars and spaces remain.
        const outside = expr.replace(/"(?:[^"]|"")*"/g, '');
        expect(outside).toMatch(/^(?:\s|AND|OR|NOT|\(|\)|\*)*$/);
      }),
      { numRuns: 2000 },
    );
  });
});
