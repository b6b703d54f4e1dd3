/** Public surface of the tagging module: load a taxonomy, build a tagger, tag stories. */
export type { Tag, TagEvidence, TagField, TagInput, TagKind, Tagger, TaxonomyEntry } from './types.js';
export type { Taxonomy } from './schema.js';
export { TaxonomySchema } from './schema.js';
export { loadTaxonomy, parseTaxonomy, taxonomyHash } from './taxonomy.js';
export { createTagger } from './tag.js';
export { runTagCommand } from './tag-command.js';
