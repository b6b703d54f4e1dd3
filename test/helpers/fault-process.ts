/**
 * Child processes for the fault suite: `shiftwire serve` / `ingest` started as a user would, their peak
 * memory read from /proc, and an API poller that measures latency while something else goes on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { bin } from './cli.js';
import { repoRoot } from './harness.js';

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  exited: Promise<number | string>;
  /** Highest VmHWM (peak RSS, KB) seen by `sampleRss` or at exit. */
  peakRssKb(): number;
  sampleRss(): void;
  /** SIGKILL if still running; resolves once it is gone. */
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/** VmHWM of a live process in KB, or 0 once it is gone. */
export function readPeakRssKb(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Starts `shiftwire <args>` with the given environment (on top of this process's), sampling RSS every 100 ms. */
export function startShiftwire(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  let peak = 0;
  const sampleRss = () => void (peak = Math.max(peak, readPeakRssKb(child.pid!)));
  const sampler = setInterval(sampleRss, 100);
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      clearInterval(sampler);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    peakRssKb: () => peak,
    sampleRss,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Waits (bounded) until `probe` returns a value. */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, context: () => string, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; output:\n${context().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Feeds this `shiftwire ingest` run reported as newly stored so far (its " N new, " progress lines). */
export const storedFeeds = (proc: Proc): number => proc.output().match(/ [1-9]\d* new, /g)?.length ?? 0;

/** Resolves when the output matches `marker` or the process ended. */
export const reached = (proc: Proc, marker: RegExp, timeoutMs = 120_000) =>
  waitFor(() => (marker.test(proc.output()) || proc.child.exitCode !== null ? true : undefined), timeoutMs, proc.output);

/** Runs `shiftwire <args>` to its end (SIGKILL after `timeoutMs`): its exit code (or signal) and output. */
export async function runToEnd(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<{ code: number | string; out: string }> {
  const proc = startShiftwire(args, env);
  const timer = setTimeout(() => void proc.kill(), timeoutMs);
  try {
    return { code: await proc.exited, out: proc.output() };
  } finally {
    clearTimeout(timer);
  }
}

/** `shiftwire serve` on a free port, logging at info; resolves with its base URL once it logged "shiftwire is serving". */
export async function startServe(env: Record<string, string>, timeoutMs = 60_000): Promise<{ proc: Proc; base: string }> {
  const proc = startShiftwire(['serve'], { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
  try {
    const base = await waitFor(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*shiftwire is serving/.exec(proc.output())?.[1], timeoutMs, proc.output);
    return { proc, base };
  } catch (err) {
    await proc.kill();
    throw err;
  }
}

export interface PollStats {
  requests: number;
  /** Requests that did not answer 200 (status or error text), at most 20 kept. */
  failures: string[];
  failureCount: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Polls the paths in turn, one request at a time with a pause between, each with its own timeout,
 * until stopped. `check` may reject an answer (e.g. a body that mentions SQLITE_BUSY).
 */
export function pollApi(base: string, paths: string[], options: { intervalMs?: number; timeoutMs?: number; check?: (path: string, status: number, body: string) => string | null } = {}) {
  const latencies: number[] = [];
  const failures: string[] = [];
  let failureCount = 0;
  let stopped = false;
  const fail = (what: string) => {
    failureCount++;
    if (failures.length < 20) failures.push(what);
  };
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const path = paths[i % paths.length]!;
      const started = performance.now();
      try {
        const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
        const body = await res.text();
        latencies.push(performance.now() - started);
        const problem = res.status !== 200 ? `HTTP ${res.status}: ${body.slice(0, 200)}` : options.check?.(path, res.status, body) ?? null;
        if (problem) fail(`${path}: ${problem}`);
      } catch (err) {
        latencies.push(performance.now() - started);
        fail(`${path}: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 20));
    }
  })();
  return {
    async stop(): Promise<PollStats> {
      stopped = true;
      await loop;
      const sorted = [...latencies].sort((a, b) => a - b);
      const round = (n: number) => Math.round(n * 10) / 10;
      return { requests: latencies.length, failures, failureCount, p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted.at(-1) ?? 0) };
    },
  };
}
