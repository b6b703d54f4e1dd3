/** Realistic synthetic feeds for the ingestion benchmark: AI-industry headlines, HTML bodies to sanitize. */
const companies = ['OpenAI', 'Anthropic', 'Google DeepMind', 'Meta', 'DeepSeek', 'Microsoft', 'Nvidia', 'Amazon', 'Apple', 'xAI', 'Mistral AI', 'Alibaba', 'Baidu', 'Tencent', 'ByteDance', 'Huawei', 'Moonshot AI', 'Zhipu AI', 'Hugging Face', 'Cohere'];
const verbs = ['unveils', 'cuts prices of', 'open-sources', 'raises $2bn for', 'is sued over', 'faces export curbs on', 'doubles down on', 'delays', 'ships', 'benchmarks'];
const things = ['its new reasoning model', 'a cheaper inference tier', 'open-weight models', 'data-centre expansion', 'AI chips for China', 'a coding assistant', 'a small distilled model', 'EU AI Act compliance', 'a $500bn build-out', 'mixture-of-experts training'];

function pick<T>(list: T[], n: number): T {
  return list[n % list.length]!;
}

export function makeItem(feed: number, item: number): string {
  const n = feed * 131 + item * 17;
  const a = pick(companies, n);
  const b = pick(companies, n + 7);
  const title = `${a} ${pick(verbs, n + 3)} ${pick(things, n + 5)} as ${b} responds`;
  const para = `<p>${a} said on ${['Monday', 'Tuesday', 'Wednesday'][n % 3]} that the change would lower costs for developers. Analysts at several banks said the move put pressure on ${b}, whose shares fell 3% in early trading. <a href="/story/${feed}/${item}?utm_source=rss">Read more</a></p>`;
  const html = `${para}<p><img src="https://img.example.com/${feed}/${item}.jpg" width="600" height="400" alt="photo"></p>${para.repeat(3)}<script>track(${item})</script><p onclick="x()">Export controls, open weights and price cuts per million tokens were all discussed.</p>`;
  const day = 1 + (item % 28);
  return `<item><title>${title}</title><link>https://site${feed}.example.com/story/${item}?utm_medium=feed</link><guid isPermaLink="false">site${feed}-${item}</guid><pubDate>${['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][item % 7]}, ${String(day).padStart(2, '0')} Oct 2026 ${String(item % 24).padStart(2, '0')}:15:00 GMT</pubDate><description><![CDATA[${para}]]></description><content:encoded><![CDATA[${html}]]></content:encoded></item>`;
}

export function makeFeed(feed: number, items: number): string {
  const body = Array.from({ length: items }, (_, i) => makeItem(feed, i)).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Site ${feed}</title><link>https://site${feed}.example.com/</link><description>Bench feed ${feed}</description>\n${body}\n</channel></rss>`;
}
