import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './helpers/cli.js';
import { createFeedStore } from '../src/db/feeds.js';
import { openDatabase } from '../src/db/open.js';
import { parseOpml, planOpmlImport, renderOpml } from '../src/ops/opml.js';



/** Runs `shiftwire feeds …` in a child process, as src/cli.ts does (errors → stderr, exit 1). */
function feeds(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runCli(['feeds', ...args], env);
}

/** Shaped like a Feedly / Inoreader export: nested folders, mixed attribute case, the usual mess. */
const READER_EXPORT = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE opml>
<opml version="1.0">
  <head><title>Jane subscriptions in feedly Cloud</title></head>
  <body>
    <outline text="Companies" title="Companies">
      <outline type="rss" text="OpenAI News" title="OpenAI News" xmlUrl="https://openai.com/news/rss.xml" htmlUrl="https://openai.com/news"/>
      <outline type="rss" text="Anthropic" title="Anthropic" xmlUrl="https://www.anthropic.com/rss.xml?utm_source=feedly" htmlUrl="https://www.anthropic.com/"/>
    </outline>
    <outline text="Reading" title="Reading">
      <outline text="Research">
        <outline type="rss" text="arXiv cs.CL" xmlURL="http://export.arxiv.org/rss/cs.CL"/>
      </outline>
      <outline type="rss" text="Import AI" xmlUrl="https://importai.substack.com/feed" category="/Tech/commentary"/>
      <outline type="rss" text="Hacker News" xmlUrl="feed://news.ycombinator.com/rss"/>
      <outline type="rss" text="Broken export" htmlUrl="https://broken.example/"/>
      <outline type="rss" text="Bad scheme" xmlUrl="javascript:alert(1)"/>
      <outline type="rss" text="OpenAI again" xmlUrl="https://OPENAI.com/news/rss.xml#top"/>
      <outline type="rss" text="Already configured" xmlUrl="https://config.example/feed.xml?utm_medium=rss"/>
      <outline type="rss" text="Tom &amp; Jerry&apos;s &lt;AI&gt; blog" xmlUrl="https://tj.example/feed?a=1&amp;b=2"/>
      <outline type="rss" text="Policy Watch" title="Config Feed" xmlUrl="https://pw.example/feed"/>
    </outline>
  </body>
</opml>
`;

const EXPECTED_ADDS = [
  { id: 'openai-news', name: 'OpenAI News', url: 'https://openai.com/news/rss.xml', kind: 'company', enabled: true },
  { id: 'anthropic', name: 'Anthropic', url: 'https://www.anthropic.com/rss.xml?utm_source=feedly', kind: 'company', enabled: true },
  { id: 'arxiv-cs-cl', name: 'arXiv cs.CL', url: 'http://export.arxiv.org/rss/cs.CL', kind: 'research', enabled: true },
  { id: 'import-ai', name: 'Import AI', url: 'https://importai.substack.com/feed', kind: 'commentary', enabled: true },
  { id: 'hacker-news', name: 'Hacker News', url: 'http://news.ycombinator.com/rss', kind: 'news', enabled: true },
  { id: 'tom-jerry-s-ai-blog', name: "Tom & Jerry's <AI> blog", url: 'https://tj.example/feed?a=1&b=2', kind: 'news', enabled: true },
  { id: 'config-feed-2', name: 'Config Feed', url: 'https://pw.example/feed', kind: 'news', enabled: true },
];

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY a "lollollollollollollollollollol">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<opml version="2.0"><body><outline text="&c;" xmlUrl="https://lol.example/feed"/></body></opml>`;

const XXE = `<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://xxe.example/feed"/></body></opml>`;

let dir: string;
let env: Record<string, string>;
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const storedFeeds = (dbPath: string) => {
  const db = openDatabase(dbPath, { readonly: true });
  try {
    return createFeedStore(db).listFeeds().map(({ id, name, url, kind, enabled, origin }) => ({ id, name, url, kind, enabled, origin }));
  } finally {
    db.close();
  }
};

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shiftwire-opml-'));
  const feedsYaml = file('feeds.yaml', 'feeds:\n  - { id: config-feed, name: Config Feed, url: "https://config.example/feed.xml", kind: company }\n');
  env = { FEEDS_FILE: feedsYaml, DATABASE_PATH: path.join(dir, 'data', 'shiftwire.db'), LOG_LEVEL: 'warn' };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('OPML parsing and merge rules', () => {
  it('reads nested folders into kinds, and says why each skipped outline was skipped', () => {
    const parsed = parseOpml(READER_EXPORT);
    expect(parsed.title).toBe('Jane subscriptions in feedly Cloud');
    expect(parsed.feeds.find((f) => f.url.includes('arxiv'))?.categories).toEqual(['Reading', 'Research']);
    const plan = planOpmlImport(parsed, [{ id: 'config-feed', url: 'https://config.example/feed.xml' }]);
    expect(plan.add).toEqual(EXPECTED_ADDS);
    expect(plan.skipped.map((s) => [s.name, s.reason])).toEqual([
      ['Broken export', 'no xmlUrl: not a feed'],
      ['Bad scheme', 'xmlUrl is not an http(s) URL'],
      ['OpenAI again', 'listed more than once in this file'],
      ['Already configured', 'already present as feed "config-feed"'],
    ]);
  });

  it.each([
    ['billion laughs', BILLION_LAUGHS],
    ['external entity', XXE],
  ])('refuses a DTD with entities (%s) without expanding anything', (_name, text) => {
    expect(() => parseOpml(text)).toThrow(/declares a DTD with entities/);
  });

  it('refuses what is not OPML', () => {
    expect(() => parseOpml('<rss version="2.0"><channel/></rss>')).toThrow(/no <opml> root element/);
    expect(() => parseOpml('<opml version="2.0"><head/></opml>')).toThrow(/no <body> element/);
    const deep = `<opml><body>${'<outline text="x">'.repeat(100)}${'</outline>'.repeat(100)}</body></opml>`;
    expect(() => parseOpml(deep)).toThrow(/nested more than 64 deep/);
  });

  it('decodes a legacy encoding named in the XML declaration', () => {
    const latin1 = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><opml><body><outline text="Caf\xe9 IA" xmlUrl="https://cafe.example/rss"/></body></opml>', 'latin1');
    expect(parseOpml(latin1).feeds[0]?.name).toBe('Café IA');
  });
});

describe('shiftwire feeds import / export', { timeout: 90_000 }, () => {
  it('import --dry-run shows the plan and writes nothing; import stores the feeds with origin opml', async () => {
    const opml = file('subscriptions.opml', READER_EXPORT);
    const dry = await feeds(['import', opml, '--dry-run'], env);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would add\s+openai-news\s+https:\/\/openai\.com\/news\/rss\.xml \(company\)/);
    expect(dry.stdout).toMatch(/dry run: 7 feeds would be added, 4 skipped; nothing was written/);
    expect(existsSync(env.DATABASE_PATH!)).toBe(false);

    const real = await feeds(['import', opml], env);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/added\s+config-feed-2\s+https:\/\/pw\.example\/feed \(news\)/);
    expect(real.stdout).toContain('skipped  https://config.example/feed.xml?utm_medium=rss: already present as feed "config-feed"');
    expect(real.stdout).toContain('skipped  "Broken export": no xmlUrl: not a feed');
    expect(real.stdout).toMatch(/7 feeds added \(origin opml\), 4 skipped/);
    const stored = storedFeeds(env.DATABASE_PATH!);
    expect(stored.filter((f) => f.origin === 'opml').map(({ origin: _, ...f }) => f)).toEqual(
      [...EXPECTED_ADDS].sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(stored.find((f) => f.id === 'config-feed')).toMatchObject({ origin: 'config', kind: 'company' });

    const again = await feeds(['import', opml], env);
    expect(again.stdout).toMatch(/0 feeds added \(origin opml\), 11 skipped/);
    expect(storedFeeds(env.DATABASE_PATH!)).toHaveLength(8);
  });

  it('refuses a hostile DOCTYPE with exit 1 and adds nothing', async () => {
    await feeds(['import', file('ok.opml', READER_EXPORT)], env);
    const before = storedFeeds(env.DATABASE_PATH!);
    for (const [name, text] of [['laughs.opml', BILLION_LAUGHS], ['xxe.opml', XXE]] as const) {
      const r = await feeds(['import', file(name, text)], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/declares a DTD with entities/);
      expect(r.stdout).toBe('');
    }
    expect(storedFeeds(env.DATABASE_PATH!)).toEqual(before);
  });

  it('export → import into a fresh instance keeps ids, names, URLs, kinds and the enabled flag', async () => {
    await feeds(['import', file('in.opml', READER_EXPORT)], env);
    const db = openDatabase(env.DATABASE_PATH!);
    const store = createFeedStore(db);
    store.createFeed({ id: 'api-feed', name: 'Added "by" <API>', url: 'https://api.example/atom', kind: 'policy', enabled: false, origin: 'api' }, new Date().toISOString());
    db.close();

    const exported = path.join(dir, 'export.opml');
    const r = await feeds(['export', '--output', exported], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/exported 9 feeds to .*export\.opml/);
    const text = readFileSync(exported, 'utf8');
    expect(text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<opml version="2\.0"/);
    expect(text).toMatch(/<outline text="company" title="company">\n\s+<outline type="rss" text="Anthropic"/);
    expect(text).toContain('shiftwire:id="api-feed" shiftwire:origin="api" shiftwire:enabled="false"');
    const toStdout = await feeds(['export'], env);
    expect(toStdout.stdout.replace(/<dateCreated>.*<\/dateCreated>/, '')).toBe(text.replace(/<dateCreated>.*<\/dateCreated>/, ''));

    const fresh = { FEEDS_FILE: file('empty.yaml', 'feeds: []\n'), DATABASE_PATH: path.join(dir, 'other', 'shiftwire.db') };
    const imported = await feeds(['import', exported], fresh);
    expect(imported.stdout).toMatch(/9 feeds added \(origin opml\), 0 skipped/);
    const strip = (list: ReturnType<typeof storedFeeds>) => list.map(({ origin: _, ...f }) => f);
    expect(strip(storedFeeds(fresh.DATABASE_PATH))).toEqual(strip(storedFeeds(env.DATABASE_PATH!)));
    expect(new Set(storedFeeds(fresh.DATABASE_PATH).map((f) => f.origin))).toEqual(new Set(['opml']));
  });

  it('feeds.yaml stays authoritative: an id it takes over becomes a config feed', async () => {
    await feeds(['import', file('in.opml', READER_EXPORT)], env);
    writeFileSync(env.FEEDS_FILE!, 'feeds:\n  - { id: hacker-news, name: HN front page, url: "https://hnrss.org/frontpage" }\n');
    const r = await feeds(['export'], env);
    expect(r.stdout).toContain('text="HN front page" title="HN front page" xmlUrl="https://hnrss.org/frontpage" category="news" shiftwire:id="hacker-news" shiftwire:origin="config"');
    expect(storedFeeds(env.DATABASE_PATH!).find((f) => f.id === 'config-feed')).toMatchObject({ enabled: false, origin: 'config' });
  });

  it('renders names and URLs with XML special characters so they read back the same', () => {
    const feeds = [{ id: 'x', name: 'A & B <"quoted"> \u0007bell', url: 'https://x.example/?a=1&b=2', kind: 'news' as const, enabled: true, origin: 'api', siteUrl: null }];
    const back = parseOpml(renderOpml(feeds, { now: new Date() })).feeds[0];
    expect(back).toMatchObject({ id: 'x', name: 'A & B <"quoted"> bell', url: 'https://x.example/?a=1&b=2', kind: 'news', enabled: true });
  });

  it('explains bad usage', async () => {
    expect((await feeds([], env)).code).toBe(2);
    const r = await feeds(['import'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage: shiftwire feeds import <file.opml> [--dry-run]');
    const missing = await feeds(['import', path.join(dir, 'nope.opml')], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nope\.opml/);
  });
});
