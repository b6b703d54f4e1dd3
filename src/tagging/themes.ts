/**
 * Scores themes from weighted signals in one pass over the story's hits. Each matched term adds
 * weight × field weight (title counts more than summary, content least; a repeated term adds 15% per
 * repeat, at most 30%). A co-occurrence signal adds its weight once every group has a hit, times the
 * weakest group's field weight. Where two term phrases of a theme overlap, only the longer one counts
 * ("EU AI Act" over "AI Act"); where they cover the same words, the heavier one. The theme is tagged
 * when the sum reaches its threshold and, unless the theme says otherwise, the story is about AI/tech
 * (requires_context: ai, about AI in particular: an AI context word, an AI company or an AI product).
 */
import type { CompiledTaxonomy, CompiledTheme } from './compile.js';
import type { Hit } from './match.js';
import { collectEvidence, roundScore } from './scan.js';
import type { FieldScan } from './scan.js';
import type { Tag } from './types.js';

const REPEAT_BONUS = 0.15;
const MAX_REPEATS = 2;

interface Found {
  scan: FieldScan;
  hit: Hit;
  /** The field's weight, less inside an aside. */
  fieldWeight: number;
}
interface TermHit extends Found {
  weight: number;
}
interface ThemeState {
  terms: TermHit[];
  /** Best hit per co-occurrence signal and group; created on the first group hit. */
  groups: Array<Array<Found | undefined>> | null;
}

/** What a hit in `scan` counts for `theme`: the field's weight, times the theme's aside weight inside an aside. */
function hitWeight(scan: FieldScan, inAside: boolean, theme: CompiledTheme): number {
  return inAside ? scan.weight * theme.asideWeight : scan.weight;
}

function collectStates(c: CompiledTaxonomy, scans: FieldScan[]): ThemeState[] {
  const states: ThemeState[] = c.themes.map(() => ({ terms: [], groups: null }));
  for (const scan of scans) {
    for (const hit of scan.hits) {
      const inAside = scan.aside !== null && scan.aside[hit.start] === 1;
      const terms = c.termRoles[hit.id];
      if (terms) {
        for (const r of terms) states[r.theme]!.terms.push({ scan, hit, fieldWeight: hitWeight(scan, inAside, c.themes[r.theme]!), weight: r.weight });
      }
      const groups = c.groupRoles[hit.id];
      if (!groups) continue;
      for (const r of groups) {
        const st = states[r.theme]!;
        const table = (st.groups ??= c.themes[r.theme]!.coSignals.map((s) => new Array<Found | undefined>(s.groups)));
        const row = table[r.signal]!;
        const cur = row[r.group];
        const fieldWeight = hitWeight(scan, inAside, c.themes[r.theme]!);
        if (!cur || fieldWeight > cur.fieldWeight) row[r.group] = { scan, hit, fieldWeight };
      }
    }
  }
  return states;
}

/** Drops term hits inside a longer one of the same theme, and keeps the heavier of two on the same words. */
function keepLongest(terms: TermHit[]): TermHit[] {
  return terms.filter((a) =>
    !terms.some((b) => {
      if (a === b || a.scan !== b.scan || b.hit.start > a.hit.start || a.hit.end > b.hit.end) return false;
      const lenA = a.hit.end - a.hit.start;
      const lenB = b.hit.end - b.hit.start;
      if (lenB !== lenA) return lenB > lenA;
      return b.weight > a.weight || (b.weight === a.weight && b.hit.id < a.hit.id);
    }),
  );
}

function scoreTheme(theme: CompiledTheme, st: ThemeState): { raw: number; evidence: Found[] } {
  let raw = 0;
  const evidence: Found[] = [];
  const byPhrase = new Map<number, { weight: number; best: number; count: number }>();
  for (const t of keepLongest(st.terms)) {
    const e = byPhrase.get(t.hit.id);
    if (e) {
      e.count += 1;
      e.best = Math.max(e.best, t.fieldWeight);
    } else byPhrase.set(t.hit.id, { weight: t.weight, best: t.fieldWeight, count: 1 });
    if (t.weight > 0) evidence.push(t);
  }
  for (const e of byPhrase.values()) raw += e.weight * e.best * (1 + REPEAT_BONUS * Math.min(e.count - 1, MAX_REPEATS));
  st.groups?.forEach((row, i) => {
    const signal = theme.coSignals[i]!;
    let weakest = Infinity;
    for (let g = 0; g < signal.groups; g++) weakest = Math.min(weakest, row[g]?.fieldWeight ?? -Infinity);
    if (weakest <= 0) return;
    raw += signal.weight * weakest;
    if (signal.weight > 0) for (const f of row) if (f) evidence.push(f);
  });
  return { raw, evidence };
}

export function findThemes(c: CompiledTaxonomy, scans: FieldScan[], context: { storyContext: number; aiContext: number }): Tag[] {
  const states = collectStates(c, scans);
  const tags: Tag[] = [];
  c.themes.forEach((theme, i) => {
    const st = states[i]!;
    if (st.terms.length === 0 && !st.groups) return;
    if (theme.requiresContext === true && context.storyContext < c.settings.context_min) return;
    if (theme.requiresContext === 'ai' && context.aiContext < c.settings.context_min) return;
    const { raw, evidence } = scoreTheme(theme, st);
    if (raw < theme.threshold) return;
    const unique = [...new Map(evidence.map((f) => [`${f.scan.field}:${f.hit.start}:${f.hit.end}`, f])).values()];
    tags.push({ kind: 'theme', id: theme.entry.id, score: roundScore(1 - 0.5 ** (raw / theme.threshold)), evidence: collectEvidence(unique) });
  });
  return tags.sort((a, b) => b.score - a.score);
}
