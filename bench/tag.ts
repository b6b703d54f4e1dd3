/**
 * npx tsx bench/tag.ts [--stories 100000] [--content]
 * Tagging throughput on one core: title + summary of a generated corpus built from the labelled dev
 * and holdout sets (stories recombined, numbers and word order varied), after a warm-up pass.
 * Target: >= 20,000 stories/s. --content also adds a ~1,500-character body to every story.
 * Prints wall-clock throughput and throughput per CPU-second of this (single-threaded) process; on a
 * busy machine the second is the fair measure of one core.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTagger, loadTaxonomy } from '../src/tagging/index.js';
import type { TagInput } from '../src/tagging/index.js';
import { createRandom } from '../test/helpers/random.js';

const root = fileURLToPath(new URL('..', import.meta.url));


function loadSeeds(): Array<{ title: string; summary: string }> {
  const files = ['test/fixtures/tagging/devset.jsonl', 'test/fixtures/tagging/holdout.jsonl'];
  return files.flatMap((f) =>
    readFileSync(`${root}${f}`, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { title: string; summary: string }),
  );
}

function buildCorpus(n: number, withContent: boolean): TagInput[] {
  const seeds = loadSeeds();
  const rand = createRandom(42);
  const pick = (): { title: string; summary: string } => seeds[Math.floor(rand() * seeds.length)]!;
  const vary = (s: string): string => s.replace(/\d+/g, (d) => String(Math.max(1, Math.round(Number(d) * (0.5 + rand())))));
  const corpus: TagInput[] = [];
  for (let i = 0; i < n; i++) {
    const a = pick();
    const b = pick();
    const title = rand() < 0.5 ? vary(a.title) : vary(a.title).replace(/^(\S+) (\S+)/, '$2 $1');
    const summary = `${vary(a.summary)}${rand() < 0.4 ? ` ${vary(b.summary)}` : ''}`;
    const content = withContent ? Array.from({ length: 8 }, () => vary(pick().summary)).join(' ') : null;
    corpus.push({ title, summary, content });
  }
  return corpus;
}

function main(): void {
  const { values } = parseArgs({ options: { stories: { type: 'string', default: '100000' }, content: { type: 'boolean', default: false } } });
  const n = Number(values.stories);
  const tagger = createTagger(loadTaxonomy(`${root}taxonomy.yaml`));
  const corpus = buildCorpus(n, values.content);
  const chars = corpus.reduce((s, x) => s + x.title.length + (x.summary?.length ?? 0) + (x.content?.length ?? 0), 0);

  let tags = 0;
  for (const story of corpus.slice(0, Math.min(n, 20_000))) tags += tagger.tag(story).length; // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < 3; r++) {
    const startCpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (const story of corpus) tags += tagger.tag(story).length;
    wall.push(Number(process.hrtime.bigint() - start) / 1e9);
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / 1e6);
  }
  const rate = (seconds: number[]): string => Math.round(n / Math.min(...seconds)).toLocaleString('en-US');
  console.log(`corpus: ${n} stories, ${Math.round(chars / n)} characters each on average${values.content ? ' (with content)' : ' (title + summary)'}`);
  console.log(`runs (wall): ${wall.map((s) => `${s.toFixed(2)}s`).join(', ')}; (cpu): ${cpu.map((s) => `${s.toFixed(2)}s`).join(', ')}; ${tags} tags`);
  console.log(`throughput: ${rate(wall)} stories/s wall clock, ${rate(cpu)} stories/s per CPU-second (one core; best of 3) — target 20,000`);
}

main();
