import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from './helpers/dockerfile.js';
import { repoRoot } from './helpers/harness.js';

const text = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
const df = parseDockerfile(text);
const stages = Object.values(df.stages);
const runtime = stages.at(-1)!;

describe('Dockerfile rules', () => {
  it('is multi-stage, building from the lockfile with npm ci and pruning dev dependencies', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(df.stages.build?.copies).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
    const runs = df.instructions.filter((i) => i.op === 'RUN').map((i) => i.value).join('\n');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toMatch(/npm prune --omit=dev/);
    expect(runs).not.toMatch(/npm install\b/);
  });

  it('uses a pinned current-LTS Node slim base, never latest', () => {
    for (const stage of stages) {
      expect(stage.from).toMatch(/^node:(22|24)\.\d+\.\d+-[a-z]+-slim(@sha256:[0-9a-f]{64})?$/);
      expect(stage.from).not.toMatch(/latest/);
    }
  });

  it('runs as a non-root user with the database on the /data volume', () => {
    expect(runtime.user).toBeTruthy();
    expect(runtime.user).not.toMatch(/^(root|0)(:|$)/);
    expect(df.env.DATABASE_PATH).toMatch(/^\/data\//);
    expect(df.instructions.some((i) => i.op === 'VOLUME' && i.value.includes('/data'))).toBe(true);
  });

  it('exposes 3000, checks /healthz, and runs the compiled server directly (PID 1 gets SIGTERM)', () => {
    expect(df.expose).toContain('3000');
    expect(df.healthcheck).toMatch(/\/healthz/);
    expect(df.cmd).toEqual(['node', 'dist/cli.js', 'serve']);
    expect(df.env.HOST).toBe('0.0.0.0');
  });

  it('bakes no secrets into the image', () => {
    for (const key of Object.keys(df.env)) expect(key).not.toMatch(/TOKEN|SECRET|PASSWORD|SMTP_URL|KEY/);
    expect(text).not.toMatch(/ADMIN_TOKEN\s*=/);
  });

  it('has a .dockerignore that keeps local state and dependencies out of the context', () => {
    const ignore = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', 'data', '.env', '.git']));
  });
});
