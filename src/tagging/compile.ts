/**
 * Turns a validated Taxonomy into what the tagger runs on: one list of distinct phrases (compiled into
 * a single matcher) plus, per phrase id, the roles it plays: an alias of a company, a context word,
 * a theme signal. Veto and confirm lists become sets of phrase ids.
 */
import { compileMatcher } from './match.js';
import type { Matcher } from './match.js';
import { parsePhrase, phraseKey } from './phrase.js';
import type { Phrase } from './phrase.js';
import type { CaseMode, Settings, Taxonomy } from './schema.js';
import { foldKey } from './tokenize.js';
import type { TaxonomyEntry } from './types.js';

export interface CompiledAlias {
  company: number;
  requires: 'none' | 'context' | 'confirm';
  confirm: ReadonlySet<number>;
  /** Phrases anywhere in the story that count as context for this alias. */
  support: ReadonlySet<number>;
  veto: ReadonlySet<number>;
  vetoStory: ReadonlySet<number>;
  person: 'first' | 'last' | 'both' | 'none';
  /** The alias is also a word prefix: "Meta-learning" is that word, not the company (see companies.ts). */
  prefix: boolean;
  /** A mention through this alias shows the story is about AI (an AI company or an AI product). */
  ai: boolean;
  window: number;
}

/** A co-occurrence signal: adds `weight` once each of its `groups` groups has a hit. */
export interface CompiledCoSignal {
  weight: number;
  groups: number;
}

export interface CompiledTheme {
  entry: TaxonomyEntry;
  threshold: number;
  /** true: the story must be about AI or tech; 'ai': about AI; false: any story. */
  requiresContext: boolean | 'ai';
  /** How much a signal inside an aside counts (scan.ts asideTokens). */
  asideWeight: number;
  coSignals: CompiledCoSignal[];
}

/** A phrase used as a plain term of a theme (its highest weight if listed more than once). */
export interface TermRole {
  theme: number;
  weight: number;
}

/** A phrase used in group `group` of co-occurrence signal `signal` of a theme. */
export interface GroupRole {
  theme: number;
  signal: number;
  group: number;
}

export interface CompiledTaxonomy {
  matcher: Matcher;
  settings: Settings;
  companies: TaxonomyEntry[];
  themes: CompiledTheme[];
  /** Some theme counts asides for less: scans mark them. */
  readsAsides: boolean;
  /** The next three are indexed by phrase id. */
  aliasRoles: ReadonlyArray<readonly CompiledAlias[] | undefined>;
  termRoles: ReadonlyArray<readonly TermRole[] | undefined>;
  groupRoles: ReadonlyArray<readonly GroupRole[] | undefined>;
  isContext: Uint8Array;
  /** Context words that show the story is about AI in particular (they count as context too). */
  isAiContext: Uint8Array;
  /** Phrases whose case rules a text without capitals waives: aliases, their confirm and veto phrases, context words. */
  caseless: Uint8Array;
  /** Alias phrases written in camel case ("DeepMind", "OpenAI", "iPhone"): brand names, never plain words. */
  camelCase: Uint8Array;
  notNames: ReadonlySet<string>;
}

function createPhraseTable(): { intern: (text: string, mode: CaseMode, plural: boolean) => number; phrases: Phrase[] } {
  const phrases: Phrase[] = [];
  const ids = new Map<string, number>();
  return {
    phrases,
    intern(text, mode, plural) {
      const p = parsePhrase(text, mode, plural);
      const key = phraseKey(p);
      let id = ids.get(key);
      if (id === undefined) {
        id = phrases.length;
        phrases.push(p);
        ids.set(key, id);
      }
      return id;
    },
  };
}

export function compileTaxonomy(t: Taxonomy): CompiledTaxonomy {
  const table = createPhraseTable();
  const idsOf = (list: readonly string[]): Set<number> => new Set(list.map((p) => table.intern(p, 'cap', true)));
  const aliasRoles: CompiledAlias[][] = [];
  const camelCaseIds: number[] = [];
  /** Confirm and veto phrases: read without case, like the aliases, in a text without capitals. */
  const aliasEvidenceIds: number[] = [];

  t.companies.forEach((company, ci) => {
    for (const alias of company.aliases) {
      const compiled: CompiledAlias = {
        company: ci,
        requires: alias.requires,
        confirm: idsOf(alias.confirm),
        support: idsOf(alias.support),
        veto: idsOf(alias.veto),
        vetoStory: idsOf(alias.veto_story),
        person: alias.person,
        prefix: alias.prefix,
        ai: alias.ai || company.ai,
        window: alias.window ?? t.settings.window,
      };
      aliasEvidenceIds.push(...compiled.confirm, ...compiled.veto);
      for (const term of alias.terms) {
        const id = table.intern(term, alias.case, alias.plural);
        (aliasRoles[id] ??= []).push(compiled);
        if (/\p{Ll}\p{Lu}/u.test(term)) camelCaseIds.push(id);
      }
    }
  });

  const aiContextIds = idsOf(t.ai_context);
  const contextIds = new Set([...idsOf(t.context), ...aiContextIds]);
  const termRoles: TermRole[][] = [];
  const groupRoles: GroupRole[][] = [];
  const themes: CompiledTheme[] = t.themes.map((th, theme) => {
    const coSignals: CompiledCoSignal[] = [];
    for (const s of th.signals) {
      for (const id of idsOf(s.terms ?? [])) {
        const roles = (termRoles[id] ??= []);
        const existing = roles.find((r) => r.theme === theme);
        if (!existing) roles.push({ theme, weight: s.weight });
        else existing.weight = Math.max(existing.weight, s.weight);
      }
      if (!s.all) continue;
      const signal = coSignals.length;
      coSignals.push({ weight: s.weight, groups: s.all.length });
      s.all.forEach((g, group) => idsOf(g).forEach((id) => (groupRoles[id] ??= []).push({ theme, signal, group })));
    }
    return { entry: { id: th.id, name: th.name }, threshold: th.threshold, requiresContext: th.requires_context, asideWeight: th.aside_weight, coSignals };
  });

  const isContext = new Uint8Array(table.phrases.length);
  contextIds.forEach((id) => (isContext[id] = 1));
  const isAiContext = new Uint8Array(table.phrases.length);
  aiContextIds.forEach((id) => (isAiContext[id] = 1));
  const caseless = isContext.slice();
  aliasRoles.forEach((roles, id) => roles && (caseless[id] = 1));
  aliasEvidenceIds.forEach((id) => (caseless[id] = 1)); // "gemma 3" confirms gemma as "Gemma 3" does
  const camelCase = new Uint8Array(table.phrases.length);
  camelCaseIds.forEach((id) => (camelCase[id] = 1));
  return {
    matcher: compileMatcher(table.phrases),
    settings: t.settings,
    companies: t.companies.map((c) => ({ id: c.id, name: c.name })),
    themes,
    readsAsides: themes.some((th) => th.asideWeight < 1),
    aliasRoles,
    termRoles,
    groupRoles,
    isContext,
    isAiContext,
    caseless,
    camelCase,
    notNames: new Set(t.settings.not_names.map(foldKey)),
  };
}
