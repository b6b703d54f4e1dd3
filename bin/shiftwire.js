#!/usr/bin/env node
// Entry point for `npx shiftwire`. A source checkout (src/ present, tsx installed) runs the
// TypeScript directly; an installed or Docker build runs the compiled dist/.
import { existsSync } from 'node:fs';

const src = new URL('../src/cli.ts', import.meta.url);
const dist = new URL('../dist/cli.js', import.meta.url);

let useSource = existsSync(src);
if (useSource) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    useSource = false;
  }
}
await import((useSource ? src : dist).href);
