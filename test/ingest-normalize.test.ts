import { describe, expect, it } from 'vitest';
import { parseFeedDate } from '../src/ingest/dates.js';
import { firstImage, htmlToText, sanitizeHtml, truncateText } from '../src/ingest/sanitize.js';
import { canonicalUrl, resolveHttpUrl } from '../src/ingest/url.js';

describe('resolveHttpUrl', () => {
  it.each([
    ['https://example.com/a', null, 'https://example.com/a'],
    ['  https://example.com/a  ', null, 'https://example.com/a'],
    ['/path?q=1', 'https://example.com/dir/page', 'https://example.com/path?q=1'],
    ['page2', 'https://example.com/dir/page', 'https://example.com/dir/page2'],
    ['//cdn.example.com/x.png', 'https://example.com/', 'https://cdn.example.com/x.png'],
    ['HTTP://EXAMPLE.com:80/A', null, 'http://example.com/A'],
    ['http://bücher.example/buch', null, 'http://xn--bcher-kva.example/buch'],
    ['relative/only', null, null],
    ['javascript:alert(1)', 'https://example.com/', null],
    ['java\tscript:alert(1)', 'https://example.com/', null],
    [' JAVASCRIPT:alert(1)', null, null],
    ['data:text/html,<script>alert(1)</script>', null, null],
    ['vbscript:msgbox(1)', null, null],
    ['tag:example.com,2024:1', null, null],
    ['urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a', null, null],
    ['mailto:someone@example.com', null, null],
    ['ftp://example.com/file', null, null],
    ['file:///etc/passwd', null, null],
    ['test.html', "javascript:alert('unsafe')", null],
    ['', 'https://example.com/', null],
    [null, 'https://example.com/', null],
    [undefined, null, null],
    [`https://example.com/${'a'.repeat(2100)}`, null, null],
  ])('resolveHttpUrl(%j, %j) = %j', (href, base, expected) => {
    expect(resolveHttpUrl(href, base)).toBe(expected);
  });
});

describe('canonicalUrl', () => {
  it.each([
    ['HTTPS://Example.COM:443/Path', 'https://example.com/Path'],
    ['http://example.com:8080/a', 'http://example.com:8080/a'],
    ['https://example.com', 'https://example.com/'],
    ['https://example.com/a#section-2', 'https://example.com/a'],
    ['https://example.com/a?', 'https://example.com/a'],
    ['https://example.com/a?utm_source=rss&utm_medium=feed&UTM_Campaign=x', 'https://example.com/a'],
    ['https://example.com/a?fbclid=1&gclid=2&dclid=3&msclkid=4&mc_cid=5&mc_eid=6&igshid=7', 'https://example.com/a'],
    ['https://example.com/a?_hsenc=1&_hsmi=2&yclid=3&ref_src=4&ncid=5&sr_share=6&guccounter=7', 'https://example.com/a'],
    ['https://example.com/watch?v=abc&utm_source=x', 'https://example.com/watch?v=abc'],
    ['https://example.com/?p=123&id=9', 'https://example.com/?id=9&p=123'],
    ['https://example.com/a?b=2&a=1&a=0', 'https://example.com/a?a=0&a=1&b=2'],
    ['https://example.com/a?q=caf%C3%A9&x=a+b', 'https://example.com/a?q=caf%C3%A9&x=a+b'],
    ['https://example.com/index.html', 'https://example.com/index.html'],
    ['not a url', 'not a url'],
  ])('canonicalUrl(%j) = %j', (input, expected) => {
    expect(canonicalUrl(input)).toBe(expected);
  });
});

describe('parseFeedDate', () => {
  const now = new Date('2026-03-01T00:00:00Z');
  it.each([
    ['Tue, 03 Jun 2003 09:39:21 GMT', '2003-06-03T09:39:21.000Z'],
    ['Tue, 03 Jun 2003 09:39:21 +0000', '2003-06-03T09:39:21.000Z'],
    ['Wed, 1 Jun 2005 19:00:00 GMT', '2005-06-01T19:00:00.000Z'],
    ['Fri, 20 Feb 2015 09:51:15 UT', '2015-02-20T09:51:15.000Z'],
    ['Fri, 20 Feb 2015 09:51:15 UTC', '2015-02-20T09:51:15.000Z'],
    ['Fri, 20 Feb 2015 09:51:15 Z', '2015-02-20T09:51:15.000Z'],
    ['Tue, 01 Oct 2019 14:30:00 PST', '2019-10-01T22:30:00.000Z'],
    ['Tue, 01 Oct 2019 14:30:00 PDT', '2019-10-01T21:30:00.000Z'],
    ['Sat, 07 Nov 2015 12:00:00 EST', '2015-11-07T17:00:00.000Z'],
    ['Sat, 07 Nov 2015 12:00:00 EDT', '2015-11-07T16:00:00.000Z'],
    ['Sat, 07 Nov 2015 12:00:00 CST', '2015-11-07T18:00:00.000Z'],
    ['Sat, 07 Nov 2015 12:00:00 CDT', '2015-11-07T17:00:00.000Z'],
    ['Sat, 07 Nov 2015 12:00:00 MST', '2015-11-07T19:00:00.000Z'],
    ['Sat, 07 Nov 2015 12:00:00 MDT', '2015-11-07T18:00:00.000Z'],
    // RFC 822 military zones as the RFC writes them: A = -1h, N = +1h.
    ['Sat, 07 Nov 2015 12:00:00 A', '2015-11-07T13:00:00.000Z'],
    ['Sat, 07 Nov 2015 12:00:00 N', '2015-11-07T11:00:00.000Z'],
    ['Sat, 07 Nov 2015 12:00:00 Y', '2015-11-07T00:00:00.000Z'],
    ['Sun, 10 Mar 2024 17:15:00 +0100', '2024-03-10T16:15:00.000Z'],
    ['Thu, 07 Dec 17 10:00:29 -0800', '2017-12-07T18:00:29.000Z'],
    ['Mon, 16 Oct 2017 15:10', '2017-10-16T15:10:00.000Z'],
    ['07 Nov 2015 12:00:00 EST', '2015-11-07T17:00:00.000Z'],
    ['Sun, 07 Nov 2015 12:00:00 GMT', '2015-11-07T12:00:00.000Z'], // wrong day name
    ['Fri, 22 Sep 2023 16:30:15 -0000', '2023-09-22T16:30:15.000Z'],
    ['Tue, 10 Jun 2003 04:00:00 GMT (Coordinated Universal Time)', '2003-06-10T04:00:00.000Z'],
    ['2009-07-22T19:02:57.616Z', '2009-07-22T19:02:57.616Z'],
    ['2017-04-07T12:20:50+10:30', '2017-04-07T01:50:50.000Z'],
    ['2007-12-14T23:15:00.000-08:00', '2007-12-15T07:15:00.000Z'],
    ['2012-08-04 01:29:34', '2012-08-04T01:29:34.000Z'],
    ['2019-08-27', '2019-08-27T00:00:00.000Z'],
    ['2020/1/10 14:33:00', '2020-01-10T14:33:00.000Z'],
    ['Seg, 24 Set 2018 19:42:40 -0300', '2018-09-24T22:42:40.000Z'],
    ['Qua, 10 Jun 2020 10:00:00 +0000', '2020-06-10T10:00:00.000Z'],
    ['Mié, 10 Dic 2020 10:00:00 +0100', '2020-12-10T09:00:00.000Z'],
    ['mercredi, 10 juin 2020 10:00:00 +0200', '2020-06-10T08:00:00.000Z'],
    ['Mittwoch, 10. März 2020 10:00:00 +0100', '2020-03-10T09:00:00.000Z'],
    ['June 10, 2020 2:30 PM EST', '2020-06-10T19:30:00.000Z'],
    ['Sun Jun 10 14:00:00 2018', '2018-06-10T14:00:00.000Z'],
    ['1508166600', '2017-10-16T15:10:00.000Z'],
    ['2026-03-02T23:00:00Z', '2026-03-02T23:00:00.000Z'], // within two days of now
  ])('parseFeedDate(%j) = %s', (raw, expected) => {
    expect(parseFeedDate(raw, now)?.toISOString()).toBe(expected);
  });

  it.each([
    [''],
    ['   '],
    ['garbage'],
    ['Sun, 99 Foo 2024 99:99:99 GMT'],
    ['2020-02-30'],
    ['2021-13-01T00:00:00Z'],
    ['Sat, 07 Nov 2015 25:00:00 GMT'],
    ['1985-01-01T00:00:00Z'],
    ['2026-03-03T00:00:01Z'],
    ['Fri, 01 Jan 2100 00:00:00 GMT'],
    [null],
    [undefined],
  ])('parseFeedDate(%j) is null', (raw) => {
    expect(parseFeedDate(raw, now)).toBeNull();
  });
});

const BASE = 'https://example.com/dir/page.html';

describe('sanitizeHtml', () => {
  it.each([
    ['<p onclick="x()">Hi</p>', '<p>Hi</p>'],
    ['<script>alert(1)</script><p>after</p>', '<p>after</p>'],
    ['<style>p{}</style>text', 'text'],
    ['<iframe src="https://evil.example/"></iframe>x', 'x'],
    ['<object data="x.swf"></object><embed src="x.swf">x', 'x'],
    ['<form action="/a"><input name="q"><button>go</button></form>', 'go'],
    ['<meta http-equiv="refresh" content="0;url=https://evil.example/">x', 'x'],
    ['<link rel="stylesheet" href="x.css"><base href="https://evil.example/">x', 'x'],
    ['<svg onload="alert(1)"><circle/></svg><math><mi>x</mi></math>y', 'y'],
    ['<p style="position:fixed">x</p>', '<p>x</p>'],
    ['<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'],
    ['<a href="jav&#x09;ascript:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'],
    ['<a href="JaVaScRiPt&colon;alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'],
    ['<a href="data:text/html,hi">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'],
    ['<a href="vbscript:x">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'],
    ['<a href="/rel" target="_top" rel="opener" title="T">x</a>', '<a rel="noopener noreferrer nofollow" href="https://example.com/rel" title="T">x</a>'],
    ['<a href="mailto:a@example.com">m</a>', '<a rel="noopener noreferrer nofollow" href="mailto:a@example.com">m</a>'],
    ['<img src="pic.png" alt="A" onerror="x()" style="width:1px">', '<img src="https://example.com/dir/pic.png" alt="A" loading="lazy" />'],
    ['<img src="//cdn.example.com/p.png">', '<img src="https://cdn.example.com/p.png" loading="lazy" />'],
    ['<img src="https://t.example/p.gif" width="1" height="1">x', 'x'],
    ['<img src="https://t.example/p.gif" width="1">x', 'x'],
    ['<img src="javascript:alert(1)">x', 'x'],
    ['<img src="data:image/png;base64,AAAA">x', 'x'],
    ['<table><tr><td colspan="2" style="c">a</td></tr></table>', '<table><tr><td colspan="2">a</td></tr></table>'],
    ['<h2>T</h2><blockquote>q</blockquote><pre><code>c</code></pre>', '<h2>T</h2><blockquote>q</blockquote><pre><code>c</code></pre>'],
    ['<font color="red">x</font><center>y</center>', 'xy'],
  ])('sanitizeHtml(%j)', (input, expected) => {
    expect(sanitizeHtml(input, BASE)).toBe(expected);
  });

  it('drops relative URLs when there is no base to resolve them against', () => {
    expect(sanitizeHtml('<a href="/x">x</a><img src="y.png">', null)).toBe('<a rel="noopener noreferrer nofollow">x</a>');
  });

  it('stays fast on 100,000 nested elements', () => {
    const deep = `${'<div>'.repeat(100_000)}deep${'</div>'.repeat(100_000)}`;
    const started = performance.now();
    const out = sanitizeHtml(deep, null);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(out).toContain('deep');
    expect(htmlToText(deep, 100)).toBe('deep');
  });
});

describe('htmlToText', () => {
  it.each([
    ['<p>Hello</p><p>World</p>', 200, 'Hello World'],
    ['<div>A</div><div>B</div><ul><li>one</li><li>two</li></ul>', 200, 'A B one two'],
    ['Line<br>break', 200, 'Line break'],
    ['Caf&eacute; &amp; cr&egrave;me&nbsp;br&ucirc;l&eacute;e &lt;tag&gt; &#8212; &#x2014;', 200, 'Café & crème brûlée <tag> — —'],
    ['<script>alert(1)</script><style>x{}</style>visible', 200, 'visible'],
    ['  lots   of \n\t whitespace  ', 200, 'lots of whitespace'],
    ['The quick brown fox jumps over the lazy dog', 20, 'The quick brown fox…'],
    ['Supercalifragilisticexpialidocious', 10, 'Supercali…'],
    ['plain < text & more', 200, 'plain < text & more'],
  ])('htmlToText(%j, %i) = %j', (html, max, expected) => {
    const text = htmlToText(html, max);
    expect(text).toBe(expected);
    expect(text.length).toBeLessThanOrEqual(max);
  });
});

describe('truncateText', () => {
  it.each([
    ['short', 10, 'short'],
    ['one two three four', 12, 'one two…'],
    ['one two, three', 9, 'one two…'],
  ])('truncateText(%j, %i) = %j', (text, max, expected) => {
    expect(truncateText(text, max)).toBe(expected);
  });
});

describe('firstImage', () => {
  it.each([
    ['<p>x</p><img src="https://t.example/p.gif" width="1" height="1"><img src="/real.png">', 'https://example.com/real.png'],
    ['<img src="javascript:alert(1)"><img src="https://cdn.example.com/a.jpg?x=1&amp;y=2">', 'https://cdn.example.com/a.jpg?x=1&y=2'],
    ['<p>no images</p>', null],
  ])('firstImage(%j) = %j', (html, expected) => {
    expect(firstImage(html, BASE)).toBe(expected);
  });
});
