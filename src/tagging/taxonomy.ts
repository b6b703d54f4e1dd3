/**
 * Reads taxonomy.yaml, validates it (shape with zod, then every phrase with the phrase parser) and
 * hashes it. Any problem throws AppError('TAXONOMY_INVALID') naming the file and the bad entry,
 * e.g. `taxonomy.yaml: companies[3] (openai).aliases[2].veto[0]: "{nmu}" uses unknown placeholder`.
 */
import { readFileSync } from 'node:fs';
import { AppError } from '../shared/errors.js';
import { parseYaml } from '../shared/yaml.js';
import { parsePhrase } from './phrase.js';
import { TaxonomySchema } from './schema.js';
import type { Taxonomy } from './schema.js';

type PathPart = string | number | symbol;

function describePath(raw: unknown, path: readonly PathPart[]): string {
  let out = '';
  let node: unknown = raw;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
    node = node !== null && typeof node === 'object' ? (node as Record<PathPart, unknown>)[part] : undefined;
    const id = node !== null && typeof node === 'object' ? (node as { id?: unknown }).id : undefined;
    if (typeof part === 'number' && typeof id === 'string') out += ` (${id})`;
  }
  return out === '' ? '(top level)' : out;
}

function fail(file: string, raw: unknown, path: readonly PathPart[], message: string, cause?: unknown): never {
  const where = describePath(raw, path);
  throw new AppError('TAXONOMY_INVALID', `${file}: ${where}: ${message}`, { cause, details: { file, path: where } });
}

/** Path of the i-th term of an alias as written: the string itself, its `term`, or `terms[n]`. */
function termPath(raw: unknown, base: PathPart[], i: number): PathPart[] {
  const companies = (raw as { companies?: Array<{ aliases?: unknown[] }> }).companies;
  const alias = companies?.[base[1] as number]?.aliases?.[base[3] as number];
  if (alias === null || typeof alias !== 'object') return base;
  const hasTerm = (alias as { term?: unknown }).term !== undefined;
  if (hasTerm && i === 0) return [...base, 'term'];
  return [...base, 'terms', hasTerm ? i - 1 : i];
}

/** Checks that every phrase in the taxonomy can be compiled, so mistakes surface at load time. */
function checkPhrases(t: Taxonomy, file: string, raw: unknown): void {
  const check = (text: string, path: PathPart[]): void => {
    try {
      parsePhrase(text, 'cap', true);
    } catch (err) {
      fail(file, raw, path, (err as Error).message, err);
    }
  };
  t.context.forEach((p, i) => check(p, ['context', i]));
  t.ai_context.forEach((p, i) => check(p, ['ai_context', i]));
  t.settings.not_names.forEach((p, i) => check(p, ['settings', 'not_names', i]));
  t.companies.forEach((c, ci) =>
    c.aliases.forEach((a, ai) => {
      const base: PathPart[] = ['companies', ci, 'aliases', ai];
      a.terms.forEach((p, i) => check(p, termPath(raw, base, i)));
      (['confirm', 'support', 'veto', 'veto_story'] as const).forEach((k) => a[k].forEach((p, i) => check(p, [...base, k, i])));
    }),
  );
  t.themes.forEach((th, ti) =>
    th.signals.forEach((s, si) => {
      s.terms?.forEach((p, i) => check(p, ['themes', ti, 'signals', si, 'terms', i]));
      s.all?.forEach((g, gi) => g.forEach((p, i) => check(p, ['themes', ti, 'signals', si, 'all', gi, i])));
    }),
  );
}

/** Validates an already-parsed YAML/JSON value; `file` is only used in error messages. */
export function parseTaxonomy(raw: unknown, file = 'taxonomy'): Taxonomy {
  const result = TaxonomySchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problem(s))` : '';
    fail(file, raw, issue.path, `${issue.message}${more}`, result.error);
  }
  checkPhrases(result.data, file, raw);
  return result.data;
}

export function readTaxonomyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new AppError('TAXONOMY_INVALID', `${path}: the taxonomy file could not be read (${(err as Error).message})`, { cause: err });
  }
}

/** Parses and validates the text of a taxonomy file; `path` names it in error messages. */
export function parseTaxonomyText(text: string, path: string): Taxonomy {
  let raw: unknown;
  try {
    raw = parseYaml(text, path);
  } catch (err) {
    throw new AppError('TAXONOMY_INVALID', `${path}: the file is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  return parseTaxonomy(raw, path);
}

export function loadTaxonomy(path: string): Taxonomy {
  return parseTaxonomyText(readTaxonomyFile(path), path);
}

export { taxonomyHash } from './hash.js';
