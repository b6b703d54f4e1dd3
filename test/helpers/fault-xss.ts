/**
 * Script-injection material for the output-safety checks (issue 7, part 5): hand-picked vectors (the
 * classic filter-evasion list: event handlers, script-capable URL schemes with entity and whitespace
 * tricks, mutation-XSS, nested and broken tags) and fast-check-generated markup built from the same
 * dangerous pieces, placed in every field a feed can carry, in RSS, Atom and JSON Feed.
 */
import fc from 'fast-check';

export const XSS_VECTORS: string[] = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=https://evil.example/x.js></SCRIPT>',
  '<img src=x onerror=alert(1)>',
  '<img src="x" OnErRoR="alert(1)">',
  '<svg/onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
  '<a href="javascript:alert(1)">click</a>',
  '<a href="JaVaScRiPt:alert(1)">click</a>',
  '<a href=" javascript:alert(1)">click</a>',
  '<a href="jav&#x09;ascript:alert(1)">click</a>',
  '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">click</a>',
  '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
  '<a href="https://ok.example/" onclick="alert(1)">fine link, bad handler</a>',
  '<iframe src="https://evil.example/"></iframe>',
  '<object data="https://evil.example/x.swf"></object>',
  '<embed src="https://evil.example/x.swf">',
  '<form action="javascript:alert(1)"><input type=submit></form>',
  '<button formaction="javascript:alert(1)">x</button>',
  '<base href="javascript:alert(1)//">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<link rel=stylesheet href="https://evil.example/x.css">',
  '<style>@import "https://evil.example/x.css";</style>',
  '<div style="background:url(javascript:alert(1))">styled</div>',
  '<p style="position:fixed;top:0;left:0;width:100%;height:100%">clickjack</p>',
  '<img srcset="javascript:alert(1) 1x">',
  '<video poster="javascript:alert(1)"></video>',
  '<body onload=alert(1)>',
  '<details open ontoggle=alert(1)>',
  '<<script>script>alert(1)<</script>/script>',
  '<scr<script>ipt>alert(1)</script>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
  '<svg><style><img src=x onerror=alert(1)></style></svg>',
  '<template><script>alert(1)</script></template>',
  '<xmp><script>alert(1)</script></xmp>',
  '<textarea><script>alert(1)</script></textarea>',
  '<img src=x:alert(alt) onerror=eval(src) alt=0>',
  '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
  '<a href="java\u0000script:alert(1)">nul</a>',
  '<a href="&#x6A;avascript&colon;alert(1)">colon entity</a>',
  '"><script>alert(1)</script>',
  "'><img src=x onerror=alert(1)>",
  '<!--><script>alert(1)</script>-->',
  '<![CDATA[<script>alert(1)</script>]]>',
];

/** Markup assembled by fast-check from dangerous elements, attributes, schemes and quoting tricks. */
export function htmlAttack(): fc.Arbitrary<string> {
  const tag = fc.constantFrom('script', 'img', 'a', 'svg', 'iframe', 'div', 'p', 'math', 'style', 'object', 'form', 'base', 'meta', 'video', 'body', 'SCRIPT', 'ScRiPt', 'noscript', 'template');
  const scheme = fc.constantFrom('javascript:', 'JAVASCRIPT:', ' javascript:', 'java\tscript:', 'vbscript:', 'data:text/html,', '&#106;avascript:', 'jav&#x0A;ascript:', 'https://ok.example/');
  const attr = fc.oneof(
    fc.tuple(fc.constantFrom('onerror', 'onload', 'onclick', 'ONMOUSEOVER', 'onfocus', 'ontoggle'), fc.constant('alert(1)')),
    fc.tuple(fc.constantFrom('href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'background', 'srcset', 'data'), scheme.map((s) => `${s}alert(1)`)),
    fc.tuple(fc.constant('style'), fc.constantFrom('background:url(javascript:alert(1))', 'position:fixed', 'expression(alert(1))')),
    fc.tuple(fc.constantFrom('title', 'alt', 'class'), fc.string({ maxLength: 12 })),
  );
  const quote = fc.constantFrom('"', "'", '');
  const attrText = fc.tuple(attr, quote).map(([[name, value], q]) => ` ${name}=${q}${q === '' ? value.replace(/\s/g, '') : value.replaceAll(q, '')}${q}`);
  const element = fc.tuple(tag, fc.array(attrText, { maxLength: 3 }), fc.string({ maxLength: 20 }), fc.boolean()).map(
    ([name, attrs, text, close]) => `<${name}${attrs.join('')}>${text.replace(/[<>&]/g, ' ')}${close ? `</${name}>` : ''}`,
  );
  const piece = fc.oneof(element, fc.constantFrom(...XSS_VECTORS), fc.constantFrom('<', '>', '"', "'", '</', '<!--', '-->', ']]>', '&lt;script&gt;', 'OpenAI'));
  return fc.array(piece, { minLength: 1, maxLength: 6 }).map((parts) => parts.join(''));
}

const cdata = (s: string) => `<![CDATA[${s.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One RSS 2.0 document carrying each payload in the title, description, content:encoded and links. */
export function rssWithPayloads(payloads: string[], prefix: string): string {
  const items = payloads.map((p, i) => `<item>
  <title>${xmlEscape(`Nvidia ${prefix} ${i} ${p}`)}</title>
  <link>${i % 3 === 0 ? 'javascript:alert(1)' : `https://xss.example/${prefix}/${i}`}</link>
  <guid isPermaLink="false">${prefix}-${i}</guid>
  <description>${xmlEscape(p)}</description>
  <content:encoded>${cdata(`<p>OpenAI ${i}</p>${p}`)}</content:encoded>
  <enclosure url="${i % 2 === 0 ? 'javascript:alert(1)' : `https://xss.example/${i}.jpg`}" type="image/jpeg" length="1"/>
  <media:thumbnail url="javascript:alert(1)"/>
  <author>${xmlEscape(p)}</author>
</item>`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/" xml:base="javascript:alert(1)//">
<channel><title>${xmlEscape(`XSS ${prefix} <script>alert(1)</script>`)}</title><link>javascript:alert(1)</link>
${items.join('\n')}
</channel></rss>`;
}

/** One Atom document: payloads as type="html", as inline type="xhtml", and in link hrefs. */
export function atomWithPayloads(payloads: string[], prefix: string): string {
  const entries = payloads.map((p, i) => `<entry>
  <title type="html">${xmlEscape(`Anthropic ${prefix} ${i} ${p}`)}</title>
  <id>urn:xss:${prefix}:${i}</id>
  <link rel="alternate" href="${i % 2 === 0 ? 'javascript:alert(1)' : `https://xss.example/${prefix}/${i}`}"/>
  <updated>2025-01-0${(i % 9) + 1}T10:00:00Z</updated>
  <summary type="html">${xmlEscape(p)}</summary>
  <content type="${i % 2 === 0 ? 'html' : 'xhtml'}">${i % 2 === 0 ? xmlEscape(p) : `<div xmlns="http://www.w3.org/1999/xhtml"><p>OpenAI</p>${xmlEscape(p)}<a href="javascript:alert(1)" onclick="alert(1)">x</a><script>alert(1)</script></div>`}</content>
</entry>`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="javascript:alert(1)//"><title>XSS ${prefix}</title><id>urn:xss:${prefix}</id><updated>2025-01-01T00:00:00Z</updated>
${entries.join('\n')}
</feed>`;
}

/** One JSON Feed 1.1 document: payloads in content_html, summary, title and every URL field. */
export function jsonFeedWithPayloads(payloads: string[], prefix: string): string {
  return JSON.stringify({
    version: 'https://jsonfeed.org/version/1.1',
    title: `XSS ${prefix} <script>alert(1)</script>`,
    home_page_url: 'javascript:alert(1)',
    items: payloads.map((p, i) => ({
      id: `${prefix}-${i}`,
      url: i % 2 === 0 ? 'javascript:alert(1)' : `https://xss.example/${prefix}/${i}`,
      external_url: 'data:text/html,<script>alert(1)</script>',
      title: `DeepSeek ${prefix} ${i} ${p}`,
      summary: p,
      content_html: `<p>DeepSeek</p>${p}`,
      image: 'javascript:alert(1)',
      banner_image: 'vbscript:msgbox(1)',
      date_published: '2025-01-02T10:00:00Z',
      authors: [{ name: p, url: 'javascript:alert(1)' }],
    })),
  });
}
