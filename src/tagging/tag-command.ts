/**
 * `shiftwire tag`: a dry run of the tagger.
 *   shiftwire tag "DeepSeek cuts prices"      → one line per tag: `deepseek  0.95  title:"DeepSeek"`
 *   shiftwire tag < stories.jsonl             → one JSON line per input line {"title","summary"}
 * A bad input line gets an error line ({"line":n,"error":"..."}) and the command moves on.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Tag, TagInput, Tagger } from './types.js';

export interface TagCommandOptions {
  tagger: Tagger;
  args: string[];
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
}

async function writeLine(out: NodeJS.WritableStream, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await once(out, 'drain');
}

function formatTag(tag: Tag, width: number): string {
  const evidence = tag.evidence.map((e) => `${e.field}:${JSON.stringify(e.term)}${e.count > 1 ? ` x${e.count}` : ''}`).join(', ');
  return `${tag.kind.padEnd(7)}  ${tag.id.padEnd(width)}  ${tag.score.toFixed(3)}  ${evidence}`;
}

/** Accepts {"title": string, "summary"?: string|null, "content"?: string|null}; returns a reason when not. */
function toInput(value: unknown): TagInput | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'expected a JSON object like {"title": "...", "summary": "..."}';
  const v = value as Record<string, unknown>;
  if (typeof v.title !== 'string') return 'the "title" field must be a string';
  for (const k of ['summary', 'content'] as const) {
    if (v[k] !== undefined && v[k] !== null && typeof v[k] !== 'string') return `the "${k}" field must be a string or null`;
  }
  return { title: v.title, summary: (v.summary as string | null | undefined) ?? null, content: (v.content as string | null | undefined) ?? null };
}

async function tagArgs(tagger: Tagger, text: string, stdout: NodeJS.WritableStream): Promise<void> {
  const tags = tagger.tag({ title: text });
  if (tags.length === 0) return writeLine(stdout, 'no tags');
  const width = Math.max(...tags.map((t) => t.id.length));
  for (const tag of tags) await writeLine(stdout, formatTag(tag, width));
}

async function tagLines(tagger: Tagger, stdin: NodeJS.ReadableStream, stdout: NodeJS.WritableStream): Promise<void> {
  const lines = createInterface({ input: stdin, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      await writeLine(stdout, JSON.stringify({ line: n, error: 'the line is not valid JSON' }));
      continue;
    }
    const input = toInput(parsed);
    if (typeof input === 'string') {
      await writeLine(stdout, JSON.stringify({ line: n, error: input }));
      continue;
    }
    const tags = tagger.tag(input);
    const ids = (kind: Tag['kind']): string[] => tags.filter((t) => t.kind === kind).map((t) => t.id);
    await writeLine(stdout, JSON.stringify({ title: input.title, companies: ids('company'), themes: ids('theme'), tags }));
  }
}

export async function runTagCommand(opts: TagCommandOptions): Promise<void> {
  const text = opts.args.join(' ').trim();
  if (text !== '') await tagArgs(opts.tagger, text, opts.stdout);
  else await tagLines(opts.tagger, opts.stdin, opts.stdout);
}
