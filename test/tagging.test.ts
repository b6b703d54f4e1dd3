import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { load as parseYamlText } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { createTagger, loadTaxonomy, parseTaxonomy, runTagCommand, taxonomyHash } from '../src/tagging/index.js';
import type { Tag, TagInput } from '../src/tagging/index.js';
import { isAppError } from '../src/shared/errors.js';
import { asideTokens } from '../src/tagging/scan.js';
import { tokenizeText } from '../src/tagging/tokenize.js';

const TAXONOMY_PATH = fileURLToPath(new URL('../taxonomy.yaml', import.meta.url));
const taxonomy = loadTaxonomy(TAXONOMY_PATH);
const tagger = createTagger(taxonomy);
const tmp = mkdtempSync(join(tmpdir(), 'shiftwire-tagging-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function companies(input: TagInput | string): string[] {
  const story = typeof input === 'string' ? { title: input } : input;
  return tagger.tag(story).filter((t) => t.kind === 'company').map((t) => t.id);
}

function themes(input: TagInput): string[] {
  return tagger.tag(input).filter((t) => t.kind === 'theme').map((t) => t.id);
}

function writeTaxonomy(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('false friends: the company sense is tagged, the look-alike is not', () => {
  it.each([
    ['meta', 'Meta releases Llama 4 with a mixture-of-experts design', true],
    ['meta', 'META shares jump after earnings beat', true],
    ['meta', 'Meta-analysis links ultra-processed food to heart disease', false],
    ['meta', 'Meta-Analysis Finds Exercise Helps Depression', false],
    ['meta', 'Archivists agree on a metadata standard and a meta layer for letters', false],
    ['meta', 'Meta-prompting: making one language model conduct a panel of its own experts', false],
    ['meta', 'Meta-learning helps a small AI model adapt to new tasks', false],
    ['meta', 'Meta-owned WhatsApp adds an AI assistant to group chats', true],
    ['meta', 'A Meta-backed study of AI chatbots and teenagers', true],
    ['microsoft', 'LinkedIn adds AI writing tools for recruiters', true],
    ['microsoft', "In a LinkedIn post, the start-up's founder said its AI model would be open", false],
    ['amazon', 'Satellite AI shows 5,796 square kilometres of the Amazon were cleared last year', false],
    ['moonshot', "Z.ai beats MiniMax and Moonshot to a listing among China's AI tigers", true],
    ['apple', 'Apple delays Siri overhaul as Apple Intelligence slips', true],
    ['apple', 'The only apple pie recipe you need this autumn', false],
    ['apple', 'Apple Pie Recipes For A Cozy Fall', false],
    ['apple', 'Apple growers in Washington brace for a smaller harvest', false],
    ['google', 'Google launches Gemini 2.5 Pro with a longer context window', true],
    ['google', 'Gemini 2.5 Flash tops the chatbot leaderboard', true],
    ['google', 'Gemini horoscope for the week: a chance to reset your finances', false],
    ['google', "Sixty years on, NASA's Gemini program is remembered as the bridge to Apollo", false],
    ['google', 'How to find the Gemini constellation and its twin stars this winter', false],
    ['google', 'Winklevoss-backed crypto exchange Gemini files for an AI-era IPO', false],
    ['anthropic', "Anthropic's Claude Opus 4 can code for seven hours", true],
    ['anthropic', 'Claude gets memory as the chatbot race heats up', true],
    ['anthropic', "Claude Monet's water lilies painting sells for $65 million", false],
    ['anthropic', 'Festival celebrates Claude Debussy in his hometown', false],
    ['anthropic', 'An AI model imitates Claude Debussy', false],
    ['anthropic', 'At 71, Claude rows the Channel for charity', false],
    ['meta', 'Llama 3.1 405B is the largest openly available AI model', true],
    ['meta', "Peru's llama farms draw tourists", false],
    ['meta', 'A llama named Caesar steals the show at the county fair', false],
    ['mistral', 'Mistral AI raises €1.7 billion', true],
    ['mistral', 'Mistral releases Magistral, its first reasoning model', true],
    ['mistral', 'The mistral wind fans wildfires across Provence', false],
    ['mistral', 'Mistral Winds Batter Marseille', false],
    ['mistral', 'French warship Mistral docks in Port Said for naval drills', false],
    ['perplexity', 'Perplexity launches Comet, an AI browser', true],
    ['perplexity', 'To the perplexity of fans, the club sells its top scorer', false],
    ['perplexity', 'Lower perplexity does not mean better reasoning in AI models', false],
    ['oracle', 'Oracle shares soar on $455 billion cloud backlog', true],
    ['oracle', "The Oracle of Omaha signs off: Buffett's last letter", false],
    ['oracle', 'At Delphi, the Oracle still draws crowds', false],
    ['oracle', 'Chainlink upgrades its oracle network for DeFi price feeds', false],
    ['amazon', 'Amazon invests another $4 billion in Anthropic', true],
    ['amazon', 'Deforestation in the Brazilian Amazon fell 30% last year', false],
    ['amazon', 'Drought pushes Amazon river to record low', false],
    ['amazon', 'AI helps rangers spot illegal mining in the Amazon basin', false],
    ['moonshot', "Moonshot AI's Kimi K2 tops open-source leaderboards", true],
    ['moonshot', 'Kimi gets a reasoning upgrade for its AI chatbot', true],
    ['moonshot', 'Kimi Chat passes 10 million users', true],
    ['moonshot', 'Kimi Räikkönen returns to the paddock as team adviser', false],
    ['moonshot', 'Kimi Antonelli wins in Brazil after an AI strategy call', false],
    ['microsoft', 'Microsoft brings Copilot to the Windows 11 taskbar', true],
    ['microsoft', 'Copilot lands damaged jet after captain falls ill', false],
    ['microsoft', 'The co-pilot took control of the AI-assisted airliner', false],
    ['google', 'Google hires Windsurf CEO in $2.4 billion deal', true],
    ['google', 'Windsurf world cup returns to Sylt', false],
    ['openai', 'OpenAI, SoftBank and Oracle unveil $500 billion Stargate venture', true],
    ['openai', 'Stargate site in Abilene starts running its first AI data center racks', true],
    ['openai', 'Stargate SG-1 cast reunites at fan convention', false],
    ['openai', 'Stargate reboot in development at Amazon MGM Studios', false],
    ['amazon', 'Amazon launches Alexa+, its generative AI assistant', true],
    ['amazon', 'Alexa Chung unveils her AI-designed autumn collection', false],
    ['xai', "xAI's Grok 3 tops chatbot rankings", true],
    ['xai', 'How long does it take to really grok a new programming language?', false],
    ['xai', 'How To Grok Functional Programming', false],
    ['xai', 'Explainable AI (XAI) tools help doctors trust models', false],
    ['ibm', 'IBM releases Granite 4.0 models under Apache 2.0', true],
    ['ibm', 'Granite countertops: what to know before you buy', false],
    ['cohere', "Cohere's Command R+ comes to Microsoft Azure", true],
    ['cohere', 'Central Command names a new deputy commander', false],
    ['cohere', 'Command and Control: the story of the nuclear arsenal', false],
    ['microsoft', "Microsoft's Phi-4 small model beats larger rivals", true],
    ['microsoft', 'Phi Beta Kappa inducts a record number of students', false],
    ['baidu', 'Baidu makes Ernie 4.5 open source', true],
    ['baidu', 'Ernie Els wins senior major at Pebble Beach', false],
    ['google', 'Google rebrands Bard as Gemini', true],
    ['google', "Stratford celebrates the Bard's birthday with a parade", false],
    ['openai', "OpenAI's Sora app hits one million downloads", true],
    ['openai', 'Sora 2 brings synchronized audio to AI video', true],
    ['openai', 'Sora, 9, from Osaka wins the national spelling bee', false],
    ['intel', 'Intel shares jump after US government takes 10% stake', true],
    ['intel', 'Intel on Russian troop movements shared with Kyiv, officials say', false],
    ['openai', "Open AI's Sam Altman says GPT-5 is coming", true],
    ['openai', 'Open AI models are closing the gap with proprietary systems', false],
    ['microsoft', 'Azure revenue grows 39% on AI demand', true],
    ['microsoft', 'The azure waters of Lake Como draw record crowds', false],
    ['microsoft', 'Microsoft adds GPT-4o to Bing search', true],
    ['microsoft', 'Bing cherries arrive early at Oregon farm stands', false],
    ['microsoft', "Bing Crosby's White Christmas tops the holiday charts again", false],
    ['microsoft', 'Microsoft Edge gets a Copilot Mode', true],
    ['microsoft', 'Edge AI chips promise smarter cameras', false],
    ['intel', 'Intel unveils Gaudi 3 accelerator', true],
    ['intel', "Gaudí's Sagrada Família gets its tallest tower", false],
    ['amd', "AMD's Instinct MI355X chips arrive in Oracle's cloud", true],
    ['amd', 'Trust your instinct? The science of snap decisions', false],
    ['huawei', "Huawei's Ascend 910C chips step in for Nvidia", true],
    ['huawei', 'Ascend the Matterhorn without a guide? Think twice', false],
    ['amazon', 'Claude 3.5 Sonnet arrives on Amazon Bedrock', true],
    ['amazon', 'Trust is the bedrock of democracy, retiring judge warns', false],
    ['alibaba', "Alibaba's Tongyi Lab open-sources Wan 2.1", true],
    ['bytedance', 'TikTok US joint venture approved', true],
    ['bytedance', "Doubao becomes China's most used AI chatbot", true],
    ['zhipu', 'Z.ai releases GLM-4.5 under MIT license', true],
    ['zhipu', 'Gen Z AI adoption surges, survey finds', false],
    ['zhipu', 'Why ecologists still love the GLM for machine learning baselines', false],
    ['mistral', "Mistral's Le Chat hits one million downloads", true],
    ['mistral', 'Le chat est sur la table', false],
    ['mistral', 'Le Chat Noir cabaret reopens in Montmartre', false],
    ['nvidia', 'Nvidia says Blackwell demand is insane', true],
    ['nvidia', 'Statue honors Elizabeth Blackwell, first woman to earn a US medical degree', false],
    ['nvidia', "Nvidia's CUDA moat is wider than ever", true],
    ['nvidia', "1971 Hemi 'Cuda convertible sells for $4.8 million", false],
    ['nvidia', 'Hopper GPUs still in demand as Blackwell ramps', true],
    ['nvidia', "Edward Hopper's Nighthawks returns to Chicago", false],
    ['nvidia', 'Grace Hopper conference draws 30,000 women in computing and AI', false],
    ['apple', 'Siri can now answer questions with ChatGPT', true],
    ['apple', "Siri Hustvedt's new memoir reckons with grief", false],
    ['deepseek', "DeepSeek's R1 shocks Silicon Valley", true],
    ['deepseek', 'Rivian R1S gets a hands-free driving update', false],
    ['samsung', 'Samsung Electronics to supply HBM3E memory to Nvidia', true],
    ['softbank', 'Arm plans its own server chip', false],
    ['xai', 'Elon Musk says Tesla will build its own AI chip fab', false],
  ])('%s for "%s" → %s', (id, title, expected) => {
    expect(companies(title).includes(id)).toBe(expected);
  });
});

describe('names that are numbers or metrics', () => {
  it('reads a GeForce card by its number beside GPU words, and nothing else by a number', () => {
    expect(companies('Show HN: I run 70B models on two used 3090s for $1,400')).toEqual(['nvidia']);
    expect(companies('anyone running glm-4.5-air on 64gb ram + a 4070?')).toEqual(expect.arrayContaining(['nvidia', 'zhipu']));
    expect(companies('Flight 4090 from Denver was delayed by two hours')).toEqual([]);
  });

  it('does not read perplexity the language-model metric as the company', () => {
    expect(companies({ title: 'Perplexity Is Not Enough: Evaluating Long-Context Language Models', summary: 'We show that perplexity on long documents is a poor proxy.' })).toEqual([]);
    expect(companies('Perplexity-based detectors misfire on non-native English writing')).toEqual([]);
    expect(companies('Perplexity raises $200m at a $20bn valuation')).toEqual(['perplexity']);
  });
});

describe('spelling variants', () => {
  it.each([
    ["OpenAI's new model", 'openai'],
    ['Nvidia’s quarter', 'nvidia'],
    ['NVIDIA earnings', 'nvidia'],
    ['Llama-3.1 and Llama 3.1 and Llama3 are AI models', 'meta'],
    ['GPT-4o, GPT 4o and GPT4o', 'openai'],
    ['DeepSeek-R1 and DeepSeek R1', 'deepseek'],
    ['Qwen2.5-Max beats rivals', 'alibaba'],
    ['Claude 3.5 Sonnet is fast', 'anthropic'],
    ['Google TPUs power the model', 'google'],
    ['H100s are scarce', 'nvidia'],
    ['Kimi Raikkonen-free: Kimi K2 launches', 'moonshot'],
    ['Hugging Face and HuggingFace and huggingface.co', 'hugging-face'],
    ['Z.ai and Zhipu', 'zhipu'],
    ['MSFT and GOOGL rally', 'microsoft'],
    ['MSFT and GOOGL rally', 'google'],
    ['Stock watch: BABA, BIDU, TSM and ORCL', 'alibaba'],
    ['Stock watch: BABA, BIDU, TSM and ORCL', 'oracle'],
    ['GitHub Copilot adds agent mode', 'microsoft'],
    ['YouTube uses AI to estimate ages', 'google'],
    ['WhatsApp and Instagram get AI features', 'meta'],
    ['High-Flyer backs AI lab', 'deepseek'],
  ])('"%s" → %s', (title, id) => {
    expect(companies(title)).toContain(id);
  });

  it('does not match inside words or across glued numbers', () => {
    expect(companies('The metaverse and metadata are not Meta… or are they? appleseed, oraclebone')).toEqual(['meta']);
    expect(companies('A 100-person team')).toEqual([]);
    expect(companies('MI5 and MI6 share intelligence')).toEqual([]);
  });

  it('accepts Unicode dashes and curly quotes like their ASCII forms', () => {
    expect(companies('DeepSeek‑R1 — and “Nvidia’s” chips')).toEqual(['deepseek', 'nvidia']);
  });
});

describe('text without capitals', () => {
  it('reads company names whatever their case rule, and asks a one-word name for context', () => {
    expect(companies('meta just dropped the llama 4 weights on hugging face')).toEqual(expect.arrayContaining(['meta', 'hugging-face']));
    expect(companies('amd stock pops 24% on openai chip deal')).toEqual(expect.arrayContaining(['amd', 'openai']));
    expect(companies('oracle up 36% in a day. larry ellison briefly the richest person alive')).toEqual(['oracle']);
    expect(companies('the only apple pie recipe you need this autumn')).toEqual([]);
    expect(companies('a long walk through the amazon with a guide and a canoe')).toEqual([]);
  });

  it('needs no context for a camel-case brand or a name with its version number, nor for a confirm phrase', () => {
    expect(companies('took me three reads to grok the new variant of deepmind\'s mixture-of-depths')).toEqual(['google']);
    expect(companies('llama 4 scout is kinda mid tbh')).toEqual(['meta']); // "llama 4" confirms as "Llama 4" does
    expect(companies('tried it for rag and it is worse than gemma 3 27b for me')).toEqual(['google']);
    expect(companies('the meta is broken in valorant and the devs wait too long to patch')).toEqual([]);
    expect(companies('a llama farm in the andes')).toEqual([]);
  });

  it('keeps case rules when the text has capitals anywhere', () => {
    expect(companies('Notes from a trip: openai fans meet nvidia gamers on the amazon at dawn')).toEqual([]);
  });
});

describe('tags and evidence', () => {
  it('records the matched term, field and count, companies first then themes', () => {
    const tags = tagger.tag({
      title: 'DeepSeek-R1 rattles Nvidia as export controls bite',
      summary: 'Nvidia shares fell 17% after DeepSeek said it trained the model for a fraction of the cost. Nvidia said little.',
    });
    const nvidia = tags.find((t) => t.id === 'nvidia')!;
    expect(nvidia.kind).toBe('company');
    expect(nvidia.evidence).toEqual([
      { term: 'Nvidia', field: 'title', count: 1 },
      { term: 'Nvidia', field: 'summary', count: 2 },
    ]);
    const deepseek = tags.find((t) => t.id === 'deepseek')!;
    expect(deepseek.evidence[0]).toEqual({ term: 'DeepSeek-R1', field: 'title', count: 1 });
    const geo = tags.find((t) => t.id === 'geopolitics')!;
    expect(geo.evidence).toContainEqual({ term: 'export controls', field: 'title', count: 1 });
    const kinds = tags.map((t) => t.kind);
    expect(kinds.lastIndexOf('company')).toBeLessThan(kinds.indexOf('theme'));
    expect(themes({ title: 'DeepSeek-R1 rattles Nvidia as export controls bite', summary: 'Nvidia shares fell 17%; the model cost a fraction of the cost.' })).toEqual(
      expect.arrayContaining(['geopolitics', 'investment', 'efficiency']),
    );
  });

  it('gives scores in (0, 1] with at most 3 decimals, sorted within each kind', () => {
    const tags: Tag[] = tagger.tag({ title: 'OpenAI and Microsoft sued by The New York Times over copyright', summary: 'Microsoft-backed OpenAI faces a lawsuit.' });
    for (const t of tags) {
      expect(t.score).toBeGreaterThan(0);
      expect(t.score).toBeLessThanOrEqual(1);
      expect(Math.round(t.score * 1000) / 1000).toBe(t.score);
    }
    const companyScores = tags.filter((t) => t.kind === 'company').map((t) => t.score);
    expect(companyScores).toEqual([...companyScores].sort((a, b) => b - a));
    expect(tags.find((t) => t.id === 'regulation')).toBeDefined();
  });

  it('scores a title mention higher than a summary mention', () => {
    const inTitle = tagger.tag({ title: 'ChatGPT adds memory', summary: 'The feature rolls out today.' })[0]!;
    const inSummary = tagger.tag({ title: 'A feature rolls out today', summary: 'ChatGPT adds memory.' })[0]!;
    expect(inTitle.id).toBe('openai');
    expect(inSummary.id).toBe('openai');
    expect(inTitle.score).toBeGreaterThan(inSummary.score);
  });

  it('returns no tags for an empty story or one about nothing in the taxonomy', () => {
    expect(tagger.tag({ title: '' })).toEqual([]);
    expect(tagger.tag({ title: 'How to make the perfect sourdough at home', summary: 'A strong starter and a hot oven.', content: null })).toEqual([]);
  });
});

describe('themes', () => {
  it('counts a signal in the title more than the same signal in the summary', () => {
    expect(themes({ title: 'Mistral model is cheaper', summary: 'It ships today.' })).toContain('efficiency');
    expect(themes({ title: 'Mistral model ships today', summary: 'It is cheaper.' })).not.toContain('efficiency');
  });

  it('does not tag a theme from a single weak word in a long body', () => {
    const content = `${'The company described its new chatbot features at length. '.repeat(30)}Regulators were mentioned once.`;
    expect(themes({ title: 'OpenAI updates ChatGPT', summary: 'New features arrive.', content })).toEqual([]);
  });

  it('tags several themes at once, or none', () => {
    const tagsFound = themes({
      title: 'US bans Nvidia H20 sales to China; company takes $5.5 billion charge',
      summary: 'The Commerce Department said the chip needs an export license, and Nvidia shares fell 7%.',
    });
    expect(tagsFound).toEqual(expect.arrayContaining(['geopolitics', 'investment']));
    expect(themes({ title: 'OpenAI launches GPT-5 to all ChatGPT users', summary: 'The model switches between fast answers and reasoning.' })).toEqual([]);
  });

  it('ignores theme words in stories that are not about AI or tech', () => {
    expect(themes({ title: 'Climate startup raises $12 million seed round', summary: 'It makes methane sensors for farms.' })).toEqual([]);
    expect(themes({ title: 'Efficient heat pumps cut household bills', summary: 'Homes saved £600 a year.' })).toEqual([]);
  });

  it('reads "U.S." like "US"', () => {
    expect(themes({ title: 'U.S.-China tensions hit Nvidia chip sales' })).toContain('geopolitics');
  });

  it('does not read fine-tuning, policy gradients or gene regulation as rules, nor market power as efficiency', () => {
    expect(themes({ title: 'Policy gradients with less variance for stable fine-tuning of language models' })).toEqual([]);
    expect(themes({ title: 'DeepMind AI model predicts how DNA mutations affect gene regulation' })).toEqual([]);
    expect(themes({ title: 'Regulators weigh fine-tuning rules for AI models' })).toEqual(['regulation']);
    expect(themes({ title: "Big Tech's AI partnerships could lock in market power", summary: 'The FTC staff report looks at cloud deals.' })).not.toContain('efficiency');
  });

  it('tags criminal charges as a court matter, and a launch in a list of countries as no contest between nations', () => {
    expect(themes({ title: 'Two men charged with smuggling Nvidia AI chips', summary: 'They face up to 20 years in prison if convicted.' })).toContain('regulation');
    expect(themes({ title: 'Sora app opens to everyone in the US, Canada, Japan and Korea' })).toEqual([]);
    expect(themes({ title: 'US and China trade barbs over AI chip sales to Japan and Korea' })).toContain('geopolitics');
    expect(themes({ title: 'Nvidia H20 chips to be available in China again after the US lifts its ban' })).toContain('geopolitics');
  });

  it('tags efficiency and investment only on stories about AI, as TAXONOMY.md defines them', () => {
    expect(themes({ title: 'Microsoft raises Xbox Series X price to $649 in the US', summary: 'Games stay cheaper than planned.' })).not.toContain('efficiency');
    expect(themes({ title: 'Prime Day sales hit $24.1 billion over four days', summary: 'Amazon said it was its biggest Prime Day ever.' })).not.toContain('investment');
    expect(themes({ title: 'Mistral raises $2 billion at a $14 billion valuation' })).toContain('investment');
    expect(themes({ title: 'Meta to spend $60 billion on data centres this year' })).toContain('investment');
    expect(themes({ title: 'Qwen3 runs on a laptop at a fraction of the cost' })).toContain('efficiency');
    // Regulation and geopolitics keep the wider tech context: a ban on a foreign app is geopolitics.
    expect(themes({ title: 'TikTok faces US ban after Supreme Court upholds law' })).toEqual(expect.arrayContaining(['geopolitics', 'regulation']));
  });

  it('reads a long body by the density of its theme words, not their number', () => {
    const filler = 'The assistant now summarises long documents, drafts replies and keeps track of tasks across apps. ';
    const passing = [
      'The company, which was valued at $300 billion this year, did not comment.',
      'It also faces a copyright lawsuit from several publishers.',
      'Rivals in China have released open-weight models of their own.',
      'Analysts expect its capital spending to rise again next year.',
    ];
    const body = (n: number) => Array.from({ length: n }, (_, i) => filler + (i % 5 === 0 ? passing[(i / 5) % passing.length] + ' ' : '')).join('\n\n');
    const story = { title: 'OpenAI adds a task planner to ChatGPT', summary: 'The feature is rolling out to paying users first.' };
    expect(themes({ ...story, content: body(40) })).toEqual([]);
    // The same body under a title about money is an investment story.
    expect(themes({ ...story, title: 'OpenAI raises $40 billion at a $300 billion valuation', content: body(40) })).toContain('investment');
  });

  it('tokenizes words and numbers, and reads the gap before each token', () => {
    const read = (text: string) => tokenizeText(text).map((t) => `${t.sentenceStart ? '|' : ''}${t.gap}:${t.key}${t.isMoney ? '$' : ''}${t.isPct ? '%' : ''}`);
    expect(read('OpenAI’s GPT4o, Llama 3.1 and Z.ai')).toEqual(['|start:openai', 'plain:s', 'plain:gpt', 'attached:4', 'attached:o', 'broken:llama', 'plain:3.1', 'plain:and', 'plain:z', 'dot:ai']);
    expect(read('Räikkönen raises $1,000 (up 5 %)')).toEqual(['|start:raikkonen', 'plain:raises', 'plain:1,000$', 'broken:up', 'plain:5%']);
    // A sentence ends at . ! ? : ; before any whitespace (an em space too, though that gap is not plain), or at a line break.
    expect(read('U.S. rules.\u2003Next\nline; then: 2.5 x!y')).toEqual(['|start:u', 'dot:s', '|dot:rules', '|broken:next', '|plain:line', '|broken:then', '|broken:2.5', 'plain:x', 'broken:y']);
    expect(read('e.g. done')).toEqual(['|start:e', 'dot:g', '|dot:done']);
  });

  it('marks an aside from which / whose / who / valued after a comma, dash or bracket to the next one or the sentence end', () => {
    const marked = (text: string) => {
      const tokens = tokenizeText(text);
      const marks = asideTokens(text, tokens);
      return tokens.filter((_, i) => marks?.[i] === 1).map((t) => t.raw).join(' ');
    };
    expect(marked('Anthropic, which raised $13bn last month, says it will hire.')).toBe('which raised 13 bn last month');
    expect(marked('The lab (whose founders left Google) ships a model — valued at $2bn — today.')).toBe('whose founders left Google valued at 2 bn');
    expect(marked('It was sued by Getty, who objected. Then it settled.')).toBe('who objected');
    // A restrictive clause (no comma) is part of the subject; so is a "who" that does not open the clause.
    expect(marked('Models which run locally are popular, and who knows why.')).toBe('');
  });

  it('counts money and courts recalled in an aside as background, and product claims in one as news', () => {
    // A non-restrictive clause (", which…", ", whose…", ", valued at…") recalling funding or a lawsuit.
    expect(themes({ title: "Cohere's Command A Vision reads invoices and charts", summary: 'The Toronto company, valued at $6.8bn after its August funding round, pitches the model at banks and insurers.' })).toEqual([]);
    expect(themes({ title: 'Stability AI launches a sound-effects model', summary: "The company, which fought Getty Images over copyright in London's High Court, says it was trained only on licensed sound libraries." })).toEqual([]);
    expect(themes({ title: 'New York Times signs AI licensing deal with Amazon', summary: 'The paper, which is still suing OpenAI and Microsoft over copyright, will let Amazon use its articles in Alexa answers.' })).not.toContain('regulation');
    // The same facts as the story's subject.
    expect(themes({ title: 'Cohere raises $500m', summary: 'The Toronto company is now valued at $6.8bn after its August funding round.' })).toContain('investment');
    expect(themes({ title: 'Stability AI launches a sound-effects model', summary: "It fought Getty Images over copyright in London's High Court and lost." })).toContain('regulation');
    // Efficiency and open-source do not discount asides: there they carry the news.
    expect(themes({ title: 'Mistral launches Le Chat Enterprise', summary: 'Mistral also released Medium 3, which it says performs at or above 90% of Claude Sonnet 3.7 at a significantly lower price.' })).toContain('efficiency');
  });

  it('reads compute savings in research words, and distillation as copying as no saving', () => {
    expect(themes({ title: 'Mixture-of-depths lets tokens skip layers', summary: 'The method uses about 40% fewer FLOPs per forward pass at the same loss on 1.3B-parameter language models.' })).toContain('efficiency');
    expect(themes({ title: 'OpenAI says DeepSeek may have used distillation to copy its models' })).not.toContain('efficiency');
  });

  it('reads models counted in millions of parameters as small models', () => {
    expect(themes({ title: "Hugging Face's SmolVLM2 brings video understanding to phones", summary: 'The 256M and 500M parameter models can run on a smartphone.' })).toContain('efficiency');
  });

  it('reads an offer with a price as a deal, and a training bill as efficiency', () => {
    expect(themes({ title: 'Perplexity makes $34.5 billion offer for Google Chrome' })).toContain('investment');
    expect(themes({ title: "Moonshot's Kimi K2 Thinking costs $4.6 million to train" })).toContain('efficiency');
    expect(themes({ title: 'OpenAI offers ChatGPT Enterprise to federal agencies for $1' })).not.toContain('investment');
  });

  it('reads gigawatt campuses and trillions as money, and onshoring chips as a contest between nations', () => {
    expect(themes({ title: "G42, OpenAI unveil 1GW 'Stargate UAE' AI campus in Abu Dhabi" })).toContain('investment');
    expect(themes({ title: "SoftBank's Son pitches $1tn Arizona AI hub" })).toContain('investment');
    expect(themes({ title: 'TSMC starts making Nvidia Blackwell wafers in Arizona as US pushes to onshore AI chip supply' })).toContain('geopolitics');
    expect(themes({ title: 'Netherlands seizes control of Chinese-owned chipmaker Nexperia' })).toContain('geopolitics');
    expect(themes({ title: 'Malaysia requires permits for exports of US AI chips' })).toContain('geopolitics');
    expect(themes({ title: "Nvidia's chip exports to the Middle East jumped 40% last year" })).not.toContain('geopolitics');
  });

  it('does not take "open" or "regulators" in passing for a theme', () => {
    expect(themes({ title: 'OpenAI opens its first office in India', summary: 'India is its second-largest market.' })).toEqual([]);
    expect(themes({ title: 'Zhipu AI starts IPO process', summary: 'The filing is with the securities regulator.' })).toEqual(['investment']);
  });
});

describe('taxonomy loading', () => {
  const base = readFileSync(TAXONOMY_PATH, 'utf8');

  it('lists all companies and themes of TAXONOMY.md in file order', () => {
    expect(tagger.companies.map((c) => c.id)).toEqual([
      'openai', 'anthropic', 'google', 'meta', 'deepseek', 'microsoft', 'nvidia', 'amazon', 'apple', 'xai', 'mistral',
      'alibaba', 'baidu', 'tencent', 'bytedance', 'huawei', 'moonshot', 'zhipu', 'hugging-face', 'cohere', 'stability-ai',
      'perplexity', 'ibm', 'intel', 'amd', 'tsmc', 'samsung', 'oracle', 'softbank',
    ]);
    expect(tagger.themes.map((t) => t.id)).toEqual(['open-source', 'efficiency', 'geopolitics', 'investment', 'regulation']);
    expect(tagger.hash).toBe(taxonomyHash(taxonomy));
  });

  it('lets an operator add a company with ambiguous aliases in YAML, without code', () => {
    const extra = `
  - id: acme-ai
    name: Acme AI
    aliases:
      - Acme AI
      - { term: Roadrunner, requires: context, confirm: [Acme], veto: [desert, cartoon], person: first }
`;
    const path = writeTaxonomy('with-acme.yaml', base.replace(/\nthemes:\n/, `${extra}\nthemes:\n`));
    const t = createTagger(loadTaxonomy(path));
    expect(t.companies.map((c) => c.id)).toContain('acme-ai');
    const ids = (title: string): string[] => t.tag({ title }).filter((x) => x.kind === 'company').map((x) => x.id);
    expect(ids("Acme AI's Roadrunner model tops benchmarks")).toEqual(['acme-ai']);
    expect(ids('Roadrunner chatbot gets an AI upgrade')).toEqual(['acme-ai']);
    expect(ids('Roadrunner spotted in the desert')).toEqual([]);
    expect(ids('Roadrunner Smith opens an AI bakery')).toEqual([]);
    expect(t.hash).not.toBe(tagger.hash);
  });

  it('names the file and the bad entry when the taxonomy is invalid', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['missing-name.yaml', base.replace('    name: Anthropic\n', ''), /missing-name\.yaml: companies\[1\] \(anthropic\)\.name/],
      ['bad-placeholder.yaml', base.replace('"GPT-{num}"', '"GPT-{nmu}"'), /bad-placeholder\.yaml: companies\[0\] \(openai\)\.aliases\[2\]: .*unknown placeholder \{nmu\}/],
      ['duplicate.yaml', base.replace('  - id: anthropic\n', '  - id: openai\n'), /duplicate\.yaml: companies\[1\] \(openai\)\.id: duplicate company id "openai"/],
      ['bad-theme.yaml', base.replace('    threshold: 1.0\n', '    threshold: -1\n'), /bad-theme\.yaml: themes\[0\] \(open-source\)\.threshold/],
      ['bad-veto.yaml', base.replace('veto: ["anthropic principle"', 'veto: ["anthropic {x} principle"'), /bad-veto\.yaml: companies\[1\] \(anthropic\)\.aliases\[0\]\.veto\[0\]/],
      ['not-yaml.yaml', 'companies: [unclosed\n', /not-yaml\.yaml: the file is not valid YAML/],
    ];
    for (const [name, text, pattern] of cases) {
      const err = catchError(() => loadTaxonomy(writeTaxonomy(name, text)));
      expect(isAppError(err) && err.code).toBe('TAXONOMY_INVALID');
      expect(err.message).toMatch(pattern);
    }
    const missing = catchError(() => loadTaxonomy(join(tmp, 'nope.yaml')));
    expect(isAppError(missing) && missing.code).toBe('TAXONOMY_INVALID');
    expect(missing.message).toContain('nope.yaml');
  });

  it('hashes the normalized taxonomy: comments and shorthand do not count, content does', () => {
    const raw = parseYamlText(base) as { companies: Array<{ aliases: unknown[] }> };
    const same = parseTaxonomy(raw);
    expect(taxonomyHash(same)).toBe(taxonomyHash(taxonomy));
    const commented = writeTaxonomy('commented.yaml', `# a new comment\n${base}`);
    expect(taxonomyHash(loadTaxonomy(commented))).toBe(taxonomyHash(taxonomy));
    raw.companies[0]!.aliases[0] = { term: 'OpenAI' };
    expect(taxonomyHash(parseTaxonomy(raw))).toBe(taxonomyHash(taxonomy));
    raw.companies[0]!.aliases.push('Operator');
    expect(taxonomyHash(parseTaxonomy(raw))).not.toBe(taxonomyHash(taxonomy));
  });
});

describe('runTagCommand', () => {
  async function run(args: string[], stdinText = ''): Promise<string> {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stdin.end(stdinText);
    await runTagCommand({ tagger, args, stdin, stdout });
    return out;
  }

  it('prints human-readable tags with evidence for text given as arguments', async () => {
    const out = await run(['ChatGPT', 'gets', 'cheaper']);
    expect(out).toMatch(/^company\s+openai\s+0\.\d{3}\s+title:"ChatGPT"$/m);
    expect(out).toMatch(/^theme\s+efficiency\s+0\.\d{3}\s+title:"cheaper"$/m);
    expect(await run(['sourdough', 'recipes'])).toBe('no tags\n');
  });

  it('prints one JSON line per stdin line and an error line for a bad line', async () => {
    const lines = [
      JSON.stringify({ title: 'Anthropic raises $13 billion', summary: 'The Claude maker is valued at $183 billion.' }),
      '{not json',
      JSON.stringify({ summary: 'no title' }),
      '',
      JSON.stringify({ title: 'Sourdough at home', summary: null }),
    ].join('\n');
    const out = (await run([], lines)).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toHaveLength(4);
    expect(out[0]).toMatchObject({ title: 'Anthropic raises $13 billion', companies: ['anthropic'], themes: ['investment'] });
    expect((out[0]!.tags as Tag[])[0]).toMatchObject({ kind: 'company', id: 'anthropic' });
    expect(out[1]).toEqual({ line: 2, error: 'the line is not valid JSON' });
    expect(out[2]).toEqual({ line: 3, error: 'the "title" field must be a string' });
    expect(out[3]).toEqual({ title: 'Sourdough at home', companies: [], themes: [], tags: [] });
  });
});
