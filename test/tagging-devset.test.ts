import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTagger, loadTaxonomy } from '../src/tagging/index.js';
import { evaluateTagger, parseLabelledLines } from '../src/tagging/evaluate.js';
import type { LabelledItem } from '../src/tagging/evaluate.js';

const fixture = (name: string): string => fileURLToPath(new URL(`fixtures/tagging/${name}`, import.meta.url));
const tagger = createTagger(loadTaxonomy(fileURLToPath(new URL('../taxonomy.yaml', import.meta.url))));
/** A labelled set under test/fixtures/tagging (one JSON object per line). */
const load = (name: string): LabelledItem[] => parseLabelledLines(readFileSync(fixture(name), 'utf8'));
const dev = load('devset.jsonl');

/*
 * Floors are the scores reached when this file was written, minus a small margin, so a change to the
 * taxonomy or the matcher that loses accuracy fails here. Raise them when the tagger gets better.
 * (Reached on the 486-story dev set: companies micro-F1 1.000, themes macro-F1 0.973, lowest theme
 * 0.960; on the 134-story holdout, never used for tuning: companies micro-F1 0.996, themes macro-F1 0.918.
 * The 150-story fresh set was written later, by someone who had seen neither the tagger nor the other sets:
 * first scored at companies micro-F1 0.998, themes macro-F1 0.941; four general changes its errors
 * suggested (published weights, OSINT, export controls, context words) brought it to 1.000 and 0.960.
 * The 120-story fresh2 set, written the same way, adds article bodies (content), as feeds deliver them:
 * first scored at companies micro-F1 1.000, themes macro-F1 0.909 (investment precision 0.63: money words
 * in passing in the body); "bid" meaning an attempt no longer counts as investment: 0.914.
 * The 160-story fresh3 set, written the same way (half with bodies, 30 company look-alikes, a theme's words
 * in passing in about as many stories as the theme itself): first scored at companies micro-F1 0.991,
 * themes macro-F1 0.908. General changes its errors suggested (hyphenated "Meta-" words, "a LinkedIn post",
 * the Amazon region, Moonshot beside China's other AI labs, criminal charges, fine-tuning and policy
 * gradients, market power, product launches by country, valuations recalled in a clause): 1.000 and 0.948,
 * with no set scoring lower than before.
 * The 150-story fresh4 set, written the same way, has the shapes feeds deliver: title-only items (some all
 * lower-case), blog boilerplate, newsletter roundups, consumer tech, commentary: first scored at companies
 * micro-F1 0.985, themes macro-F1 0.849. Texts without capitals read without case rules, a few look-alikes,
 * and efficiency and investment only on stories about AI (TAXONOMY.md: "money flowing into or out of AI"):
 * 0.998 and 0.890. That last change costs the older sets a little where their labels read investment
 * outside AI (an IBM-HashiCorp deal): dev 0.973 -> 0.967, holdout 0.918 -> 0.910.
 * The 60-story fresh5 set, written the same way, is full articles (558-665 words) whose background touches
 * other themes in passing: first scored at companies micro-F1 1.000, themes macro-F1 0.660 (precision 0.50:
 * a long body's passing mentions added up). The body's weight now shrinks with its length past 200 tokens
 * (content_reference_tokens), from 0.25: 0.935, and fresh2 0.920 -> 0.928, the other sets unchanged.
 * The 100-story fresh6 set, written the same way, carries the noise around real items (press-release
 * boilerplate, aggregator tails, podcast sponsor reads, bylines and credits, changelogs, earnings calls):
 * first scored at companies micro-F1 0.988, themes macro-F1 0.913. Look-alikes (Claude the photographer,
 * the Amazon by boat, Apple Hospitality REIT, oracles of myth) and a weaker price-and-money co-occurrence
 * for efficiency: 0.995 and 0.918 (fresh4 0.892 -> 0.898, fresh2 0.928 -> 0.924).
 * The 80-story fresh7 set, written the same way, is AI policy, courts, money and rivalry outside the
 * US-China axis (EU AI Act, data-protection authorities, sovereign AI, Gulf and African build-outs,
 * influence operations): first scored at companies micro-F1 1.000, themes macro-F1 0.902 (geopolitics
 * recall 0.75). Economic security, strategic autonomy, data localisation, foreign servers and apps,
 * state-linked influence operations: 0.920, the other sets unchanged.
 * The 120-story fresh8 set, written the same way, is items as outlets of every kind publish them (wires,
 * tech and business press, China tech coverage, newsroom posts, newsletters) with their feed noise: first
 * scored at companies micro-F1 0.997, themes macro-F1 0.929.
 * The 100-story fresh9 set, written the same way, is theme boundaries: themes said without their usual
 * words, theme words that are not the subject (a round recalled in a clause, "efficient" meaning quick,
 * open source outside AI), and companies named only through a product or subsidiary: first scored at
 * companies micro-F1 0.986, themes macro-F1 0.750. Asides (", which raised…", ", valued at…") count for
 * 0.3 in investment and regulation, "more efficient" alone no longer suffices in a summary, and a few
 * context words (facial recognition, voice cloning, training clusters) and regulators (CNIL, consent
 * decrees): 0.823; fresh2 0.924 -> 0.927, fresh3 0.948 -> 0.951, fresh7 0.920 -> 0.924, no set lower.
 * The 100-story fresh10 set, written the same way, is research and technical feeds (arXiv listings, lab
 * blogs, release notes, model cards, technical newsletters): first scored at companies micro-F1 0.986,
 * themes macro-F1 0.860. The 120-story fresh11 set is aggregators, Reddit, podcasts, social posts and
 * English-language outlets from outside the US and UK: first scored at 0.942 and 0.847. General changes
 * from both: a camel-case brand ("deepmind") or a name with its version number ("llama 4") in a text without
 * capitals needs no context, and confirm and veto phrases are read without case there too; GeForce cards by
 * number beside GPU words; perplexity the metric; fewer FLOPs, sparse attention, KV-cache and quantization
 * formats, distillation (weakly). fresh10 0.991 / 0.867, fresh11 0.965 / 0.874, no other set changed.
 * Then gigawatts and "$1tn" as money, onshoring as geopolitics: fresh11 0.888, no other set changed.
 * The 150-story fresh12 set, written the same way after all of the above, is a faithful sample of a week
 * from the default feeds, with no traps asked for: first scored at companies micro-F1 0.996, themes macro-F1
 * 0.903 (the tagger as it was before fresh8 scores it 0.996 / 0.893). "to buy" alone now weighs 1.0 for
 * investment ("agentic checkout to buy when the price is right"): fresh2 0.927 -> 0.930, fresh3 0.951 ->
 * 0.954, fresh11 0.888 -> 0.891, fresh12 unchanged, no set lower. Then a priced offer as a deal and
 * "million to train" as a training bill: fresh11 0.899, no other set changed. Then Chinese-owned companies and
 * chip exports under a government's permit as geopolitics: fresh11 0.906, no other set changed. Models
 * counted in millions of parameters as small models: fresh10 0.870, no other set changed.
 * Session 5 added two sets written the same way: fresh13 (120, mainstream business and tech news, a quarter
 * hard negatives), first scored at companies micro-F1 0.995, themes macro-F1 0.951; fresh14 (120,
 * international and policy outlets), first scored at 1.000 and 0.926. From their errors: a trial that is a
 * test (clinical, free, "trial finds") is not a court case; "you grok" is the verb; less RAM and memory
 * needs as efficiency; China-specific chips as geopolitics; red tape and deregulation as regulation; and a
 * revenue swing weighs 0.7 instead of 1.0 (results are not in the contract's list of investment): fresh13
 * 0.998 / 0.956, fresh14 0.942, holdout 0.910 -> 0.916, fresh 0.968 -> 0.971, fresh2 0.930 -> 0.934, fresh7
 * 0.924 -> 0.929; the dev set 0.967 -> 0.966 (one Baidu ad-revenue fall its labels call investment).
 * Then fresh15 (120, company newsrooms and blogs), first scored at companies micro-F1 1.000, themes macro-F1
 * 0.819 (recall 0.78: build-outs in the companies' own words), and fresh16 (120, commentary, newsletters and
 * podcasts), first scored at 0.980 and 0.923. From fresh15: "datacenter" as one word and "investing" as
 * investment; sovereign clouds, "democratic AI" and the PRC as geopolitics; "minimal compute" as efficiency;
 * a platform's usage or content policy is not law; a product's debut is not a market debut (only "trading
 * debut", "on debut" and the like weigh 1.0): fresh15 0.880, fresh10 0.870 -> 0.873, fresh16 and the other
 * sets unchanged.)
 */
const DEV_FLOORS = { companiesMicro: 0.99, companiesMacro: 0.99, themesMicro: 0.96, themesMacro: 0.96, perTheme: 0.94 };

function checkLabels(items: LabelledItem[]): void {
  const companyIds = new Set(tagger.companies.map((c) => c.id));
  const themeIds = new Set(tagger.themes.map((t) => t.id));
  for (const item of items) {
    for (const c of item.companies) expect(companyIds.has(c), `unknown company "${c}" in "${item.title}"`).toBe(true);
    for (const t of item.themes) expect(themeIds.has(t), `unknown theme "${t}" in "${item.title}"`).toBe(true);
  }
}

describe('labelled dev set', () => {
  it('has at least 300 stories labelled with taxonomy ids', () => {
    expect(dev.length).toBeGreaterThanOrEqual(300);
    checkLabels(dev);
  });

  it('keeps company and theme F1 above the recorded floors', () => {
    const r = evaluateTagger(tagger, dev);
    expect(r.companies.micro.f1).toBeGreaterThanOrEqual(DEV_FLOORS.companiesMicro);
    expect(r.companies.macro.f1).toBeGreaterThanOrEqual(DEV_FLOORS.companiesMacro);
    expect(r.themes.micro.f1).toBeGreaterThanOrEqual(DEV_FLOORS.themesMicro);
    expect(r.themes.macro.f1).toBeGreaterThanOrEqual(DEV_FLOORS.themesMacro);
    for (const label of r.themes.labels) expect(label.f1, `theme ${label.label}`).toBeGreaterThanOrEqual(DEV_FLOORS.perTheme);
  });
});

/**
 * The sets never tuned on (holdout) or written blind to the tagger (fresh to fresh16): the same two checks,
 * with floors at the scores reached when each was added or last improved, minus a small margin (see above).
 */
const BLIND = '(written without seeing the tagger or the other sets)';
const unseen: Array<{ file: string; name: string; size: number; floors: { companiesMicro: number; themesMacro: number }; withBodies?: boolean }> = [
  { file: 'holdout.jsonl', name: 'holdout set (written before tuning, never used to tune)', size: 100, floors: { companiesMicro: 0.98, themesMacro: 0.89 } },
  { file: 'fresh.jsonl', name: `fresh set ${BLIND}`, size: 150, floors: { companiesMicro: 0.98, themesMacro: 0.93 } },
  { file: 'fresh2.jsonl', name: `fresh set with article bodies ${BLIND}`, size: 120, floors: { companiesMicro: 0.98, themesMacro: 0.89 }, withBodies: true },
  { file: 'fresh3.jsonl', name: `fresh set with look-alikes and passing theme words ${BLIND}`, size: 160, floors: { companiesMicro: 0.98, themesMacro: 0.92 } },
  { file: 'fresh4.jsonl', name: `fresh set in the shapes feeds deliver ${BLIND}`, size: 150, floors: { companiesMicro: 0.98, themesMacro: 0.86 } },
  { file: 'fresh5.jsonl', name: `fresh set of full articles ${BLIND}`, size: 60, floors: { companiesMicro: 0.98, themesMacro: 0.9 }, withBodies: true },
  { file: 'fresh6.jsonl', name: `fresh set with the noise around real items ${BLIND}`, size: 100, floors: { companiesMicro: 0.98, themesMacro: 0.89 } },
  { file: 'fresh7.jsonl', name: `fresh set on AI policy and rivalry outside the US-China axis ${BLIND}`, size: 80, floors: { companiesMicro: 0.98, themesMacro: 0.89 } },
  { file: 'fresh8.jsonl', name: `fresh set of items from every kind of outlet, with their feed noise ${BLIND}`, size: 120, floors: { companiesMicro: 0.98, themesMacro: 0.9 } },
  { file: 'fresh9.jsonl', name: `fresh set on theme boundaries ${BLIND}`, size: 100, floors: { companiesMicro: 0.97, themesMacro: 0.79 } },
  { file: 'fresh10.jsonl', name: `fresh set from research and technical feeds ${BLIND}`, size: 100, floors: { companiesMicro: 0.97, themesMacro: 0.83 } },
  { file: 'fresh11.jsonl', name: `fresh set from aggregators, Reddit, podcasts and social posts ${BLIND}`, size: 120, floors: { companiesMicro: 0.94, themesMacro: 0.84 } },
  { file: 'fresh12.jsonl', name: `fresh set sampling a week of the default feeds ${BLIND}`, size: 150, floors: { companiesMicro: 0.98, themesMacro: 0.88 } },
  { file: 'fresh13.jsonl', name: `fresh set from mainstream business and tech news, with hard negatives ${BLIND}`, size: 120, floors: { companiesMicro: 0.98, themesMacro: 0.93 } },
  { file: 'fresh14.jsonl', name: `fresh set from international and policy outlets ${BLIND}`, size: 120, floors: { companiesMicro: 0.98, themesMacro: 0.91 } },
  { file: 'fresh15.jsonl', name: `fresh set from company newsrooms and blogs ${BLIND}`, size: 120, floors: { companiesMicro: 0.98, themesMacro: 0.85 } },
  { file: 'fresh16.jsonl', name: `fresh set of commentary, newsletters and podcasts ${BLIND}`, size: 120, floors: { companiesMicro: 0.96, themesMacro: 0.9 } },
];

for (const set of unseen) {
  describe(set.name, () => {
    const items = load(set.file);
    it(`has at least ${set.size} stories labelled with taxonomy ids${set.withBodies ? ', each with its article body' : ''}`, () => {
      expect(items.length).toBeGreaterThanOrEqual(set.size);
      if (set.withBodies) for (const item of items) expect(item.content?.length ?? 0, item.title).toBeGreaterThan(300);
      checkLabels(items);
    });

    it('generalizes: F1 stays above the floors', () => {
      const r = evaluateTagger(tagger, items);
      expect(r.companies.micro.f1).toBeGreaterThanOrEqual(set.floors.companiesMicro);
      expect(r.themes.macro.f1).toBeGreaterThanOrEqual(set.floors.themesMacro);
    });
  });
}
