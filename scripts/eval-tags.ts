/**
 * npm run eval:tags [-- --file other.jsonl] [--taxonomy taxonomy.yaml] [--errors]
 * Prints per-label precision, recall, F1 and support, then micro/macro summaries, for companies and
 * themes of a labelled file (default: the dev set). --errors also lists every false positive/negative.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateTagger, parseLabelledLines } from '../src/tagging/evaluate.js';
import type { EvalError, KindReport } from '../src/tagging/evaluate.js';
import { createTagger, loadTaxonomy } from '../src/tagging/index.js';

const DEFAULT_FILE = 'test/fixtures/tagging/devset.jsonl';

function pct(x: number): string {
  return x.toFixed(3);
}

function printKind(title: string, r: KindReport): void {
  const w = Math.max(14, ...r.labels.map((l) => l.label.length));
  console.log(`\n${title.padEnd(w)}  precision  recall     f1  support   tp   fp   fn`);
  for (const l of r.labels) {
    console.log(
      `${l.label.padEnd(w)}  ${pct(l.precision).padStart(9)}  ${pct(l.recall).padStart(6)}  ${pct(l.f1).padStart(5)}  ${String(l.support).padStart(7)}  ${String(l.tp).padStart(3)}  ${String(l.fp).padStart(3)}  ${String(l.fn).padStart(3)}`,
    );
  }
  console.log(`${'micro'.padEnd(w)}  ${pct(r.micro.precision).padStart(9)}  ${pct(r.micro.recall).padStart(6)}  ${pct(r.micro.f1).padStart(5)}`);
  console.log(`${'macro'.padEnd(w)}  ${pct(r.macro.precision).padStart(9)}  ${pct(r.macro.recall).padStart(6)}  ${pct(r.macro.f1).padStart(5)}`);
}

function printErrors(errors: EvalError[]): void {
  console.log(`\nerrors (${errors.length})`);
  for (const e of errors) {
    console.log(`  line ${e.line}  ${e.type.padEnd(14)}  ${e.kind} ${e.label}\n      ${e.title}\n      ${e.summary}`);
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      file: { type: 'string', default: DEFAULT_FILE },
      taxonomy: { type: 'string', default: 'taxonomy.yaml' },
      errors: { type: 'boolean', default: false },
    },
  });
  const file = resolve(values.file);
  const tagger = createTagger(loadTaxonomy(resolve(values.taxonomy)));
  const report = evaluateTagger(tagger, parseLabelledLines(readFileSync(file, 'utf8')));
  console.log(`${file}: ${report.items} stories, taxonomy ${tagger.hash.slice(0, 12)}`);
  printKind('companies', report.companies);
  printKind('themes', report.themes);
  console.log(
    `\nsummary  companies micro-F1 ${pct(report.companies.micro.f1)} macro-F1 ${pct(report.companies.macro.f1)}` +
      `  |  themes micro-F1 ${pct(report.themes.micro.f1)} macro-F1 ${pct(report.themes.macro.f1)}`,
  );
  if (values.errors) printErrors(report.errors);
}

main();
