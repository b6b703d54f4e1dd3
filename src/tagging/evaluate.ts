/**
 * Scores a tagger against labelled stories (JSON lines {"title","summary","companies","themes"}):
 * per-label precision/recall/F1 and micro/macro summaries. Used by scripts/eval-tags.ts and the
 * dev-set test. Macro averages run over every label that is either expected or predicted.
 */
import type { TagKind, Tagger } from './types.js';

export interface LabelledItem {
  title: string;
  summary?: string | null;
  content?: string | null;
  companies: string[];
  themes: string[];
}

export interface LabelStats {
  label: string;
  tp: number;
  fp: number;
  fn: number;
  support: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface Summary {
  precision: number;
  recall: number;
  f1: number;
}

export interface KindReport {
  labels: LabelStats[];
  micro: Summary;
  macro: Summary;
}

export interface EvalError {
  line: number;
  kind: TagKind;
  type: 'false positive' | 'false negative';
  label: string;
  title: string;
  summary: string;
}

export interface EvalReport {
  items: number;
  companies: KindReport;
  themes: KindReport;
  errors: EvalError[];
}

/** Parses JSON lines; throws with the line number when a line is not a labelled item. */
export function parseLabelledLines(text: string): LabelledItem[] {
  const items: LabelledItem[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const v = JSON.parse(line) as Partial<LabelledItem>;
    if (typeof v.title !== 'string' || !Array.isArray(v.companies) || !Array.isArray(v.themes)) {
      throw new Error(`line ${i + 1}: expected {"title": string, "companies": [...], "themes": [...]}`);
    }
    items.push(v as LabelledItem);
  });
  return items;
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

function f1(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

function summarize(counts: Map<string, { tp: number; fp: number; fn: number }>): KindReport {
  const labels: LabelStats[] = [...counts.entries()]
    .map(([label, c]) => {
      const precision = ratio(c.tp, c.tp + c.fp);
      const recall = ratio(c.tp, c.tp + c.fn);
      return { label, ...c, support: c.tp + c.fn, precision, recall, f1: f1(precision, recall) };
    })
    .sort((a, b) => b.support - a.support || a.label.localeCompare(b.label));
  const tp = labels.reduce((s, l) => s + l.tp, 0);
  const fp = labels.reduce((s, l) => s + l.fp, 0);
  const fn = labels.reduce((s, l) => s + l.fn, 0);
  const microP = ratio(tp, tp + fp);
  const microR = ratio(tp, tp + fn);
  const n = labels.length;
  const macroP = ratio(labels.reduce((s, l) => s + l.precision, 0), n);
  const macroR = ratio(labels.reduce((s, l) => s + l.recall, 0), n);
  return {
    labels,
    micro: { precision: microP, recall: microR, f1: f1(microP, microR) },
    macro: { precision: macroP, recall: macroR, f1: ratio(labels.reduce((s, l) => s + l.f1, 0), n) },
  };
}

export function evaluateTagger(tagger: Tagger, items: LabelledItem[]): EvalReport {
  const counts = { company: new Map<string, { tp: number; fp: number; fn: number }>(), theme: new Map<string, { tp: number; fp: number; fn: number }>() };
  const errors: EvalError[] = [];
  items.forEach((item, i) => {
    const tags = tagger.tag(item);
    for (const kind of ['company', 'theme'] as const) {
      const expected = new Set(kind === 'company' ? item.companies : item.themes);
      const got = new Set(tags.filter((t) => t.kind === kind).map((t) => t.id));
      const map = counts[kind];
      for (const label of new Set([...expected, ...got])) {
        const c = map.get(label) ?? { tp: 0, fp: 0, fn: 0 };
        map.set(label, c);
        const inExpected = expected.has(label);
        const inGot = got.has(label);
        if (inExpected && inGot) c.tp += 1;
        else {
          if (inGot) c.fp += 1;
          else c.fn += 1;
          const type = inGot ? 'false positive' : 'false negative';
          errors.push({ line: i + 1, kind, type, label, title: item.title, summary: item.summary ?? '' });
        }
      }
    }
  });
  return { items: items.length, companies: summarize(counts.company), themes: summarize(counts.theme), errors };
}
