import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/shared/errors.js';
import { decodeFeedBody } from '../src/ingest/decode.js';
import { parseFeedDocument } from '../src/ingest/parse.js';
import type { ParsedFeed } from '../src/ingest/parse.js';
import { processFeedBody } from '../src/ingest/process.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures/feeds');
const NOW = '2024-06-01T00:00:00.000Z';

function fixture(name: string): Buffer {
  return readFileSync(path.join(FIXTURES, name));
}

function processFixture(name: string, contentType: string | null = null): Promise<ParsedFeed> {
  return processFeedBody(fixture(name), contentType, { url: `https://feeds.example/${name}`, now: NOW });
}

function parse(text: string, url = 'https://feeds.example/feed.xml'): Promise<ParsedFeed> {
  return parseFeedDocument(text, { url, now: new Date(NOW) });
}

function rss(items: string, channel = '<title>T</title><link>https://site.example/</link>'): string {
  return `<?xml version="1.0"?><rss version="2.0"><channel>${channel}${items}</channel></rss>`;
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err: unknown = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('RSS', () => {
  it('reads RSS 0.91 with a Netscape DOCTYPE (no internal subset)', async () => {
    const feed = await processFixture('rss091-netscape.xml');
    expect(feed).toMatchObject({ format: 'rss', title: 'WriteTheWeb', siteUrl: 'http://writetheweb.com/' });
    expect(feed.items.map((i) => i.url)).toEqual(['http://writetheweb.com/read.php?item=24', 'http://writetheweb.com/read.php?item=23']);
    expect(feed.items[0]?.dateEstimated).toBe(true);
    expect(feed.items[0]?.publishedAt).toBe(NOW);
  });

  it('reads RSS 2.0: newline before <?xml, stylesheet PI, CDATA, entities, media, categories, ttl', async () => {
    const feed = await processFixture('rss2-full.xml');
    expect(feed).toMatchObject({ format: 'rss', title: 'AI Wire & Friends', siteUrl: 'https://aiwire.example/', ttlMinutes: 30 });
    const [first, relative, untitled, permalink] = feed.items;
    expect(first).toMatchObject({
      guid: 'aiwire-1001',
      url: 'https://aiwire.example/2024/05/pact?utm_source=rss&utm_medium=feed&id=7',
      canonicalUrl: 'https://aiwire.example/2024/05/pact?id=7',
      title: 'OpenAI & Anthropic sign pact — “again”',
      summary: 'Short summary of the pact.',
      contentText: 'The full story. Related',
      imageUrl: 'https://cdn.aiwire.example/pact-large.jpg',
      author: 'Jane Roe',
      publishedAt: '2024-05-01T16:30:00.000Z',
      dateEstimated: false,
      categories: ['Policy', 'Safety'],
    });
    expect(first?.contentHtml).toBe('<p>The full story. <a rel="noopener noreferrer nofollow" href="https://aiwire.example/related">Related</a></p><img src="https://aiwire.example/img/pact.jpg" width="600" loading="lazy" />');
    expect(relative).toMatchObject({ url: 'https://aiwire.example/2024/05/relative', summary: 'Plain text description with a bare ampersand: R & D.' });
    expect(untitled?.title).toBe('This item has no title, so its summary has to stand in for one. It goes on for a while, long enough…');
    expect(untitled?.title.length).toBeLessThanOrEqual(100);
    expect(permalink).toMatchObject({ url: 'https://aiwire.example/2024/05/guid-permalink', dateEstimated: true, summary: '', contentHtml: null });
    expect(feed.items).toHaveLength(4); // the fifth item is empty and dropped
  });

  it('reads RSS 1.0 (RDF): items beside the channel, rdf:about, dc:date, dc:subject', async () => {
    const feed = await processFixture('rdf-rss10.xml');
    expect(feed).toMatchObject({ format: 'rdf', title: 'RDF Site Summary', siteUrl: 'https://rdf.example/' });
    expect(feed.items).toHaveLength(2);
    expect(feed.items[0]).toMatchObject({
      guid: 'https://rdf.example/a', url: 'https://rdf.example/a', title: 'First RDF item', summary: 'About models.',
      contentHtml: 'About <em>models</em>.', author: 'R. D. F.', publishedAt: '2024-04-30T10:00:00.000Z', categories: ['Models'],
    });
  });

  it('keeps items that share a guid (de-duplication is dedupe.ts\'s job) in document order', async () => {
    const feed = await processFixture('duplicate-guids.xml');
    expect(feed.items.map((i) => [i.guid, i.title])).toEqual([
      ['same-guid', 'Original'], ['same-guid', 'Repeat'], ['same-guid', 'Other page, same guid'],
    ]);
  });

  it('resolves relative links against the item xml:base, then the feed link, then the feed URL', async () => {
    const withBase = await parse(`<rss version="2.0" xml:base="https://root.example/"><channel><title>T</title>
      <item xml:base="https://item.example/dir/"><title>a</title><link>page</link><description>&lt;a href="x"&gt;x&lt;/a&gt;</description></item>
      <item xml:base="javascript:alert(1)"><title>b</title><link>page</link></item></channel></rss>`);
    expect(withBase.items[0]?.url).toBe('https://item.example/dir/page');
    expect(withBase.items[0]?.contentHtml).toContain('href="https://item.example/dir/x"');
    expect(withBase.items[1]?.url).toBe('https://root.example/page'); // unsafe xml:base ignored
    const feedLink = await parse(rss('<item><title>a</title><link>/a</link></item>', '<title>T</title><link>https://site.example/blog/</link>'));
    expect(feedLink.items[0]?.url).toBe('https://site.example/a');
    const feedUrl = await parse(rss('<item><title>a</title><link>a.html</link></item>', '<title>T</title>'), 'https://host.example/feeds/rss.xml');
    expect(feedUrl.items[0]?.url).toBe('https://host.example/feeds/a.html');
  });

  it('never keeps javascript:, data:, tag: or mailto: links', async () => {
    const feed = await parse(rss(['javascript:alert(1)', 'data:text/html,x', 'tag:x.example,2024:1', 'mailto:a@b.example']
      .map((link, i) => `<item><title>${i}</title><link>${link}</link></item>`).join(''), '<title>T</title><link>javascript:alert(1)</link>'));
    expect(feed.siteUrl).toBeNull();
    expect(feed.items.map((i) => i.url)).toEqual([null, null, null, null]);
  });

  it('is lenient like feedparser: bare &, HTML entities, a stray <, unclosed channel children', async () => {
    const feed = await parse(`<rss version="2.0"><channel><title>A & B&nbsp;&hellip; &bogus; 1 < 2</title>
      <itunes:category text='Technology'><itunes:category text='Gadgets'/>
      <item><title>Item</title><link>https://x.example/?a=1&b=2</link></item>
      </channel></rss>`);
    expect(feed.title).toBe('A & B … &bogus; 1 < 2');
    expect(feed.items[0]?.url).toBe('https://x.example/?a=1&b=2');
  });

  it('reads an <rss> without a version attribute as RSS 2.0', async () => {
    const feed = await parse('<rss><channel><title>No version</title><item><title>x</title></item></channel></rss>');
    expect(feed).toMatchObject({ format: 'rss', title: 'No version' });
    expect(feed.items).toHaveLength(1);
  });

  it('cuts titles at 500 characters and keeps only the first 5,000 items', async () => {
    const longTitle = 'word '.repeat(200);
    const items = Array.from({ length: 5003 }, (_, i) => `<item><title>${i === 0 ? longTitle : `item ${i}`}</title></item>`).join('');
    const feed = await parse(rss(items, `<title>${longTitle}</title>`));
    expect(feed.title?.length).toBeLessThanOrEqual(500);
    expect(feed.title?.endsWith('…')).toBe(true);
    expect(feed.items).toHaveLength(5000);
    expect(feed.items[0]?.title.length).toBeLessThanOrEqual(500);
    expect(feed.items[4999]?.title).toBe('item 4999');
  });
});

describe('bounds on stored fields', () => {
  it('caps contentHtml at 500 KB, contentText at 20,000 and summary at 1,000 characters', async () => {
    const paragraph = `<p>${'lorem ipsum dolor sit amet '.repeat(40)}</p>`;
    const body = paragraph.repeat(1000); // about 1.1 MB of HTML
    const feed = await parse(rss(`<item><title>big</title><description><![CDATA[${body}]]></description></item>`));
    const item = feed.items[0];
    expect(Buffer.byteLength(item?.contentHtml ?? '')).toBeLessThanOrEqual(500 * 1024);
    expect(item?.contentHtml?.endsWith('</p>')).toBe(true);
    expect(item?.contentText?.length).toBeLessThanOrEqual(20_000);
    expect(item?.contentText?.endsWith('…')).toBe(true);
    expect(item?.summary.length).toBeLessThanOrEqual(1000);
  });

  it('derives ttlMinutes from sy:updatePeriod/updateFrequency when there is no <ttl>', async () => {
    const feed = await parse(rss('', '<title>T</title><sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>'));
    expect(feed.ttlMinutes).toBe(30);
    expect((await parse(rss('', '<title>T</title><ttl>soon</ttl>'))).ttlMinutes).toBeNull();
  });
});

describe('Atom', () => {
  it('reads Atom 0.3: issued/modified, escaped and inline XML content', async () => {
    const feed = await processFixture('atom03.xml');
    expect(feed).toMatchObject({ format: 'atom', title: 'Old Atom', siteUrl: 'https://atom03.example/' });
    expect(feed.items[0]).toMatchObject({
      guid: 'tag:atom03.example,2005:entry-1', url: 'https://atom03.example/2005/07/31/entry',
      contentHtml: '<p>Escaped <strong>HTML</strong> body</p>', publishedAt: '2005-07-31T12:29:29.000Z', author: 'Mark',
    });
    expect(feed.items[1]).toMatchObject({ contentHtml: '<div><p>Inline <em>XHTML</em> body</p></div>', publishedAt: '2005-07-30T08:00:00.000Z' });
  });

  it('reads Atom 1.0: xml:base chain, xhtml content in order, categories, inherited author', async () => {
    const feed = await processFixture('atom10-xmlbase.xml');
    expect(feed).toMatchObject({ format: 'atom', title: 'Model Watch', siteUrl: 'https://blog.example/' });
    const [first, second] = feed.items;
    expect(first).toMatchObject({
      guid: 'tag:blog.example,2024:1',
      url: 'https://blog.example/2024/05/mixed-content',
      title: 'Mixed <content> & order', // type="text": markup-looking text stays text
      summary: 'First bold then notes and more text.',
      imageUrl: 'https://static.example/posts/chart.png',
      author: 'Feed Author',
      publishedAt: '2024-05-03T06:00:00.000Z',
      categories: ['Large language models', 'gpu'],
    });
    expect(first?.contentHtml).toContain('<p>First <strong>bold</strong> then <a rel="noopener noreferrer nofollow" href="https://static.example/posts/notes.html">notes</a> and more text.</p>');
    // An unparseable <published> must not sink the feed (rss-parser itself would throw on it).
    expect(second).toMatchObject({ url: 'https://blog.example/plain-link', author: 'Entry Author', dateEstimated: true, publishedAt: NOW });
    expect(second?.contentHtml).toBe('<p>Summary with <a rel="noopener noreferrer nofollow" href="https://blog.example/x">a link</a></p>');
  });

  it('reads Atom written with a namespace prefix', async () => {
    const feed = await parse(`<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title>Prefixed</a:title>
      <a:link href="https://p.example/"/><a:entry><a:id>urn:x:1</a:id><a:title>Entry</a:title>
      <a:link href="https://p.example/1"/><a:updated>2024-01-02T03:04:05Z</a:updated></a:entry></a:feed>`);
    expect(feed).toMatchObject({ format: 'atom', title: 'Prefixed', siteUrl: 'https://p.example/' });
    expect(feed.items[0]).toMatchObject({ title: 'Entry', url: 'https://p.example/1', publishedAt: '2024-01-02T03:04:05.000Z' });
  });
});

describe('JSON Feed', () => {
  it('reads JSON Feed 1.0', async () => {
    const feed = await processFixture('jsonfeed-1.0.json', 'application/feed+json');
    expect(feed).toMatchObject({ format: 'jsonfeed', title: 'JSON One', siteUrl: 'https://json1.example/', ttlMinutes: null });
    expect(feed.items).toHaveLength(3); // "not an item" is skipped
    expect(feed.items[0]).toMatchObject({
      guid: '1', canonicalUrl: 'https://json1.example/posts/1', title: 'First JSON item', summary: 'A short summary.',
      contentHtml: '<p>Hello <b>world</b></p>', imageUrl: 'https://json1.example/images/1.png', author: 'Feed Author',
      publishedAt: '2024-05-01T15:00:00.000Z', categories: ['AI', 'Chips'],
    });
    expect(feed.items[1]).toMatchObject({
      guid: '2', url: 'https://elsewhere.example/article', title: 'Only text here. Second paragraph.',
      contentHtml: '<p>Only text here.</p><p>Second paragraph.</p>', author: 'Item Author', publishedAt: '2024-05-02T10:00:00.000Z',
    });
    expect(feed.items[2]).toMatchObject({ guid: '3', url: null, title: 'Untitled' });
  });

  it('reads JSON Feed 1.1: authors over author, feed authors inherited, banner image', async () => {
    const feed = await processFixture('jsonfeed-1.1.json');
    expect(feed.items.map((i) => i.author)).toEqual(['Item One, Item Two', 'Root One, Root Two']);
    expect(feed.items[0]?.imageUrl).toBe('https://json11.example/banner.png');
  });

  it('accepts version "1.1" and rejects JSON that is not a JSON Feed', async () => {
    await expect(parse('{"version":"1.1","items":[{"id":"x","title":"t"}]}')).resolves.toMatchObject({ format: 'jsonfeed' });
    const rssInJson = await failure(parse('{"rss":{"version":"2.0","channel":{"title":"x","item":[]}}}'));
    expect(rssInJson.code).toBe('FEED_PARSE_FAILED');
    expect(rssInJson.message).toMatch(/not a JSON Feed/);
    expect((await failure(parse('[{"version":"https://jsonfeed.org/version/1.1"}]'))).message).toMatch(/not a JSON Feed/);
    const cut = await failure(parse('{"version":"https://jsonfeed.org/version/1","items":[{"id":"1","title":"cut'));
    expect(cut.message).toMatch(/not valid JSON/);
  });
});

describe('hostile HTML', () => {
  it('sanitizes every attack in the sanitize list', async () => {
    const feed = await processFixture('html-heavy.xml');
    const item = feed.items[0];
    const html = item?.contentHtml ?? '';
    for (const bad of [/<script/i, /<style/i, /<iframe/i, /<object/i, /<embed/i, /<form/i, /<input/i, /<meta/i, /<link/i, /<base/i, /<svg/i, /<math/i, /\son\w+=/i, /\sstyle=/i, /="\s*(?:javascript|data|vbscript)/i, /target=/i, /pixel\.gif/]) {
      expect(html).not.toMatch(bad);
    }
    expect(html).toContain('<a rel="noopener noreferrer nofollow" href="https://hostile.example/safe/relative">relative link</a>');
    expect(html).toContain('<a rel="noopener noreferrer nofollow" href="mailto:editor@hostile.example">mail</a>');
    expect(html).toContain('<img src="https://hostile.example/img/real.png" alt="real" width="640" loading="lazy" />');
    expect(html).toContain('<td colspan="2">cell</td>');
    expect(item?.imageUrl).toBe('https://hostile.example/img/real.png');
    expect(item?.contentText).not.toMatch(/alert|display:none/);
  });

  it('turns inline xhtml:body with a script into sanitized HTML', async () => {
    const feed = await parse(rss(`<item><title>x</title><xhtml:body xmlns:xhtml="http://www.w3.org/1999/xhtml">
      <xhtml:p>Kept <xhtml:b>text</xhtml:b></xhtml:p><xhtml:script>alert(1)</xhtml:script></xhtml:body></item>`));
    expect(feed.items[0]?.contentHtml?.replace(/\s+/g, ' ').trim()).toBe('<p>Kept <b>text</b></p>');
  });
});

describe('XML safety', () => {
  let requests = 0;
  let origin = '';
  const server = createServer((_req, res) => {
    requests += 1;
    res.writeHead(200, { 'content-type': 'application/xml-dtd' }).end('<!ENTITY leak "LEAKED">');
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('')}]><rss version="2.0"><channel><title>&lol9;</title></channel></rss>`;

  it.each([
    ['billion laughs', () => bomb],
    ['XXE to a local file', () => '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss><channel><title>&xxe;</title></channel></rss>'],
    ['XXE over http', () => `<!DOCTYPE rss [<!ENTITY xxe SYSTEM "${origin}/xxe">]><rss><channel><title>&xxe;</title></channel></rss>`],
    ['external parameter entity', () => `<!DOCTYPE rss [<!ENTITY % dtd SYSTEM "${origin}/evil.dtd"> %dtd;]><rss><channel><title>&leak;</title></channel></rss>`],
    ['lower-case declaration', () => '<!doctype rss [<!entity x "y">]><rss><channel><title>&x;</title></channel></rss>'],
  ])('rejects a DTD declaring entities (%s) quickly, fetching nothing', async (_name, doc) => {
    const started = performance.now();
    const err = await failure(parse(doc()));
    expect(err.code).toBe('FEED_UNSAFE');
    expect(err.message).toBe('the document declares XML entities (DTD), which Shiftwire refuses to expand');
    expect(performance.now() - started).toBeLessThan(500);
    expect(requests).toBe(0);
  });

  it('drops a DOCTYPE without internal subset and never fetches its DTD or XSL', async () => {
    const feed = await parse(`<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="${origin}/style.xsl"?>
      <!DOCTYPE rss SYSTEM "${origin}/rss.dtd"><rss version="2.0"><channel><title>ok</title></channel></rss>`);
    expect(feed.title).toBe('ok');
    expect(requests).toBe(0);
  });

  it('rejects 100,000 nested elements with a clear error instead of blowing the stack', async () => {
    const started = performance.now();
    const err = await failure(parse(rss(`${'<x>'.repeat(100_000)}${'</x>'.repeat(100_000)}`)));
    expect(err.code).toBe('FEED_PARSE_FAILED');
    expect(err.message).toMatch(/nests elements more than 500 deep/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('rejects documents over 10 MB of text', async () => {
    const err = await failure(parse(`<rss>${' '.repeat(10 * 1024 * 1024)}</rss>`));
    expect(err.code).toBe('FEED_TOO_LARGE');
  });
});

describe('documents that are not usable feeds', () => {
  it.each([
    ['', /the document is empty/],
    ['  \n\t ', /the document is empty/],
    ['<!DOCTYPE html><html><head><title>Moved</title></head><body>x</body></html>', /the document is an HTML page, not a feed/],
    ['<head><title>Document Moved</title></head><body>moved</body>', /the document is an HTML page, not a feed/],
    ['<?xml version="1.0"?><note><to>Tove</to></note>', /not a feed \(its root element is <note>\)/],
    ['<!-- only a comment -->', /has no XML elements/],
    ['<rss version="2.0"><channel><title>x</title><item><title>cut', /ends inside <title>; it looks truncated/],
    ['<rss version="2.0"><channel><title>x</title></rss', /ends inside a tag; it looks truncated/],
    ['<rss version="2.0"><channel><description><![CDATA[cut', /ends inside a CDATA section; it looks truncated/],
    ['<rss version="2.0"><foo/></rss>', /lacks the elements every feed of its kind has/],
  ])('%j fails cleanly', async (doc, message) => {
    const err = await failure(parse(doc));
    expect(err.code).toBe('FEED_PARSE_FAILED');
    expect(err.message).toMatch(message);
  });

  it('says so when a gzip body was not decompressed', async () => {
    const err = await failure(processFeedBody(gzipSync(Buffer.from(rss(''))), null, { url: 'https://x.example/', now: NOW }));
    expect(err.message).toMatch(/gzip-compressed/);
  });
});

describe('decoding', () => {
  const koi8 = Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]); // "Привет" in KOI8-R
  const cp1251 = Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]); // "Привет" in windows-1251
  const cp1252 = Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0x93, 0x71, 0x94, 0x20, 0x80]); // Café “q” €
  const doc = (decl: string, title: Buffer) => Buffer.concat([
    Buffer.from(`${decl}<rss version="2.0"><channel><title>`), title, Buffer.from('</title></channel></rss>'),
  ]);
  const titleOf = async (body: Buffer, contentType: string | null) =>
    (await processFeedBody(body, contentType, { url: 'https://x.example/', now: NOW })).title;

  it.each([
    ['KOI8-R declared in the document', doc('<?xml version="1.0" encoding="KOI8-R"?>', koi8), null, 'Привет'],
    ['KOI8-R from the HTTP charset only', doc('', koi8), 'application/rss+xml; charset=koi8-r', 'Привет'],
    ['windows-1252 declared', doc('<?xml version="1.0" encoding="windows-1252"?>', cp1252), null, 'Café “q” €'],
    ['ISO-8859-1 declared reads as windows-1252', doc('<?xml version="1.0" encoding="ISO-8859-1"?>', cp1252), null, 'Café “q” €'],
    ['windows-1252 from the HTTP charset only', doc('', cp1252), 'text/xml; charset="windows-1252"', 'Café “q” €'],
    ['undeclared non-UTF-8 bytes fall back to windows-1252', doc('', cp1252), null, 'Café “q” €'],
    ['a nonsense declaration falls back', doc('<?xml version="1.0" encoding="no-such-charset"?>', cp1252), null, 'Café “q” €'],
    ['the header wins over a contradicting declaration', doc('<?xml version="1.0" encoding="KOI8-R"?>', cp1251), 'text/xml; charset=windows-1251', 'Привет'],
    ['UTF-8 bytes mislabelled ISO-8859-1 read as UTF-8', doc('<?xml version="1.0" encoding="ISO-8859-1"?>', Buffer.from('Café €')), null, 'Café €'],
    ['C1 controls in UTF-8 are demoronized', doc('', Buffer.from('don\u0092t')), null, 'don’t'],
  ])('%s', async (_name, body, contentType, expected) => {
    expect(await titleOf(body, contentType)).toBe(expected);
  });

  it('strips a UTF-8 BOM and whitespace before <?xml', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('\n\n  <?xml version="1.0" encoding="utf-8"?><rss><channel><title>BOM ✓</title></channel></rss>')]);
    expect(decodeFeedBody(body, null).startsWith('<?xml')).toBe(true);
    expect(await titleOf(body, null)).toBe('BOM ✓');
  });

  it('reads UTF-16 with a BOM and without one (NUL byte pattern), whatever the declaration says', async () => {
    const text = '<?xml version="1.0" encoding="utf-16"?><rss><channel><title>Сайт</title></channel></rss>';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]));
    const bare = Buffer.concat([Buffer.from(text.replace(' encoding="utf-16"', ''), 'utf16le'), Buffer.from([0])]);
    expect(await titleOf(le, 'text/xml; charset=utf-8')).toBe('Сайт');
    expect(await titleOf(be, null)).toBe('Сайт');
    expect(await titleOf(bare, null)).toBe('Сайт');
  });

  it('ignores a utf-16 declaration on 8-bit bytes', async () => {
    expect(await titleOf(Buffer.from('<?xml version="1.0" encoding="UTF-16"?><rss><channel><title>plain</title></channel></rss>'), null)).toBe('plain');
  });
});
