/** Public types of the tagger (the contract other modules code against). */

export type TagKind = 'company' | 'theme';
export type TagField = 'title' | 'summary' | 'content';

/** Plain text (HTML already stripped). */
export interface TagInput {
  title: string;
  summary?: string | null;
  content?: string | null;
}

/** `term` is the text as matched, e.g. "DeepSeek-R1" or "export controls". */
export interface TagEvidence {
  term: string;
  field: TagField;
  count: number;
}

/** `score` is in (0, 1], rounded to 3 decimals. */
export interface Tag {
  kind: TagKind;
  id: string;
  score: number;
  evidence: TagEvidence[];
}

export interface TaxonomyEntry {
  id: string;
  name: string;
}

export interface Tagger {
  /** taxonomyHash of the taxonomy it was built from. */
  readonly hash: string;
  /** In file order. */
  readonly companies: TaxonomyEntry[];
  readonly themes: TaxonomyEntry[];
  /** Companies first, then themes, each sorted by score (highest first). */
  tag(input: TagInput): Tag[];
}
