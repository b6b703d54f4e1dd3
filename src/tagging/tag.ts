/**
 * createTagger: compiles a taxonomy once and returns a Tagger whose `tag` runs one scan per story
 * field, then the company rules, then the theme rules. Pure: no I/O, safe to share.
 */
import { findCompanies } from './companies.js';
import { compileTaxonomy } from './compile.js';
import { scanStory } from './scan.js';
import type { Taxonomy } from './schema.js';
import { taxonomyHash } from './hash.js';
import { findThemes } from './themes.js';
import type { Tag, TagInput, Tagger } from './types.js';

export function createTagger(taxonomy: Taxonomy): Tagger {
  // Both made on first use: the main thread of an ingestion needs the hash and the names but never tags
  // (its workers do), and the workers tag but never need the hash.
  let compiled: ReturnType<typeof compileTaxonomy> | undefined;
  let hash: string | undefined;
  const compile = () => (compiled ??= compileTaxonomy(taxonomy));
  return {
    get hash() {
      return (hash ??= taxonomyHash(taxonomy));
    },
    companies: taxonomy.companies.map((c) => ({ id: c.id, name: c.name })),
    themes: taxonomy.themes.map((t) => ({ id: t.id, name: t.name })),
    tag(input: TagInput): Tag[] {
      const c = compile();
      const scans = scanStory(c, input);
      if (scans.length === 0) return [];
      const { tags, ...context } = findCompanies(c, scans);
      return [...tags, ...findThemes(c, scans, context)];
    },
  };
}
