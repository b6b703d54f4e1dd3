/**
 * createTagger: compiles a taxonomy once and returns a Tagger whose `tag` runs one scan per story
 * field, then the company rules, then the theme rules. Pure: no I/O, safe to share.
 */
import { findCompanies } from './companies.js';
import { compileTaxonomy } from './compile.js';
import { scanStory } from './scan.js';
import type { Taxonomy } from './schema.js';
import { taxonomyHash } from './taxonomy.js';
import { findThemes } from './themes.js';
import type { Tag, TagInput, Tagger } from './types.js';

export function createTagger(taxonomy: Taxonomy): Tagger {
  const compiled = compileTaxonomy(taxonomy);
  const hash = taxonomyHash(taxonomy);
  return {
    hash,
    companies: compiled.companies.map((e) => ({ ...e })),
    themes: compiled.themes.map((t) => ({ ...t.entry })),
    tag(input: TagInput): Tag[] {
      const scans = scanStory(compiled, input);
      if (scans.length === 0) return [];
      const { tags, storyContext } = findCompanies(compiled, scans);
      return [...tags, ...findThemes(compiled, scans, storyContext)];
    },
  };
}
