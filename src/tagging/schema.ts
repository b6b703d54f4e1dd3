/**
 * The shape of taxonomy.yaml (see the comments at the top of that file for what each field means).
 * Parsing normalizes shorthand: a plain string alias becomes `{ terms: [string] }` with defaults.
 */
import { z } from 'zod';

const IdSchema = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case kebab-case, e.g. "hugging-face"');
const PhraseSchema = z.string().trim().min(1, 'must not be empty');
const PhraseListSchema = z.array(PhraseSchema).default([]);

export const CaseModeSchema = z.enum(['cap', 'exact', 'any']);
export type CaseMode = z.infer<typeof CaseModeSchema>;

const AliasObjectSchema = z
  .object({
    term: PhraseSchema.optional(),
    terms: z.array(PhraseSchema).optional(),
    case: CaseModeSchema.default('cap'),
    requires: z.enum(['none', 'context', 'confirm']).default('none'),
    confirm: PhraseListSchema,
    support: PhraseListSchema,
    veto: PhraseListSchema,
    veto_story: PhraseListSchema,
    person: z.enum(['first', 'last', 'both', 'none']).default('none'),
    prefix: z.boolean().default(false),
    ai: z.boolean().default(false),
    window: z.number().int().min(1).max(20).optional(),
    plural: z.boolean().default(true),
  })
  .strict()
  .refine((a) => a.term !== undefined || (a.terms !== undefined && a.terms.length > 0), {
    message: 'an alias needs "term" or a non-empty "terms" list',
  });

export const AliasSchema = z.union([PhraseSchema, AliasObjectSchema]).transform((a) => {
  if (typeof a === 'string') {
    return { terms: [a], case: 'cap' as CaseMode, requires: 'none' as const, confirm: [], support: [], veto: [], veto_story: [], person: 'none' as const, prefix: false, ai: false, window: undefined, plural: true };
  }
  const { term, terms, ...rest } = a;
  return { ...rest, terms: [...(term === undefined ? [] : [term]), ...(terms ?? [])] };
});
export type Alias = z.infer<typeof AliasSchema>;

export const CompanySchema = z
  .object({
    id: IdSchema,
    name: z.string().min(1),
    ai: z.boolean().default(false),
    aliases: z.array(AliasSchema).min(1, 'a company needs at least one alias'),
  })
  .strict();
export type Company = z.infer<typeof CompanySchema>;

export const SignalSchema = z
  .object({
    weight: z.number().min(-5).max(5).refine((w) => w !== 0, 'must not be 0'),
    terms: z.array(PhraseSchema).optional(),
    all: z.array(z.array(PhraseSchema).min(1)).min(2, 'a co-occurrence signal needs at least two groups').optional(),
  })
  .strict()
  .refine((s) => (s.terms === undefined) !== (s.all === undefined), { message: 'a signal has either "terms" or "all", not both' });
export type Signal = z.infer<typeof SignalSchema>;

export const ThemeSchema = z
  .object({
    id: IdSchema,
    name: z.string().min(1),
    threshold: z.number().positive().default(1),
    requires_context: z.union([z.boolean(), z.literal('ai')]).default(true),
    aside_weight: z.number().min(0).max(1).default(1),
    signals: z.array(SignalSchema).min(1, 'a theme needs at least one signal'),
  })
  .strict();
export type Theme = z.infer<typeof ThemeSchema>;

export const SettingsSchema = z
  .object({
    window: z.number().int().min(1).max(20).default(4),
    field_weights: z
      .object({ title: z.number().positive().default(1), summary: z.number().positive().default(0.7), content: z.number().positive().default(0.25) })
      .strict()
      .default({ title: 1, summary: 0.7, content: 0.25 }),
    context_min: z.number().int().min(1).default(1),
    content_reference_tokens: z.number().int().positive().default(200),
    title_case_ratio: z.number().min(0).max(1).default(0.7),
    not_names: PhraseListSchema,
  })
  .strict();
export type Settings = z.infer<typeof SettingsSchema>;

export const TaxonomySchema = z
  .object({
    version: z.literal(1),
    /** Free-form: a place to define YAML anchors (&name) that entries below reuse (*name). */
    shared: z.record(z.string(), z.unknown()).optional(),
    settings: SettingsSchema.default(SettingsSchema.parse({})),
    context: PhraseListSchema,
    ai_context: PhraseListSchema,
    companies: z.array(CompanySchema),
    themes: z.array(ThemeSchema),
  })
  .strict()
  .superRefine((t, ctx) => {
    const seen = new Map<string, number>();
    t.companies.forEach((c, i) => {
      if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: ['companies', i, 'id'], message: `duplicate company id "${c.id}"` });
      seen.set(c.id, i);
    });
    const themeIds = new Set<string>();
    t.themes.forEach((th, i) => {
      if (themeIds.has(th.id)) ctx.addIssue({ code: 'custom', path: ['themes', i, 'id'], message: `duplicate theme id "${th.id}"` });
      themeIds.add(th.id);
    });
  });
export type Taxonomy = z.infer<typeof TaxonomySchema>;
