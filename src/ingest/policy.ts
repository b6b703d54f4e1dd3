/**
 * When to fetch a feed next. Pure, so the rules are easy to test and to read in one place.
 *
 * - After a success, the feed rests for one schedule interval (less a little slack, so that the tick
 *   after next does not miss it by a second), or longer when the feed asked for a longer pause
 *   (RSS <ttl>, Cache-Control max-age), honoured up to a day.
 * - After a failure, exponential backoff: 5 min, 10, 20, … capped at 24 h. A feed is never given up on
 *   for good (a site that is down for a week comes back by itself); its state shows the failures.
 * - Retry-After (429/503) is honoured when it asks for longer than the backoff, up to a week.
 */
export const BACKOFF_BASE_MS = 5 * 60_000;
export const BACKOFF_CAP_MS = 24 * 3600_000;
export const HINT_CAP_MS = 24 * 3600_000;
export const RETRY_AFTER_CAP_MS = 7 * 24 * 3600_000;

export function nextFetchAfterSuccess(now: Date, intervalMs: number, hints: { ttlMinutes?: number | null; maxAgeSeconds?: number | null }): Date {
  const rest = Math.max(0, intervalMs - Math.min(intervalMs * 0.1, 120_000));
  const ttlMs = Math.max(0, (hints.ttlMinutes ?? 0) * 60_000);
  const maxAgeMs = Math.max(0, (hints.maxAgeSeconds ?? 0) * 1000);
  const pause = Math.max(rest, Math.min(Math.max(ttlMs, maxAgeMs), HINT_CAP_MS));
  return new Date(now.getTime() + pause);
}

export function backoffMs(consecutiveFailures: number): number {
  const n = Math.max(1, consecutiveFailures);
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.min(n - 1, 20), BACKOFF_CAP_MS);
}

export function nextFetchAfterFailure(now: Date, consecutiveFailures: number, retryAfterSeconds?: number | null): Date {
  const retryAfterMs = Math.min(Math.max(0, (retryAfterSeconds ?? 0) * 1000), RETRY_AFTER_CAP_MS);
  return new Date(now.getTime() + Math.max(backoffMs(consecutiveFailures), retryAfterMs));
}
