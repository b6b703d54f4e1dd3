/**
 * One delivery attempt per call, on either channel; the service decides about retries.
 *
 * Webhook: a POST of the digest's JSON, signed. The receiver verifies
 *   X-Shiftwire-Signature == "sha256=" + hex(HMAC-SHA256(secret, `${X-Shiftwire-Timestamp}.${raw body}`))
 * with a constant-time comparison, rejects timestamps far from its own clock (replays), and dedupes on
 * X-Shiftwire-Delivery: delivery is at-least-once, and a retry carries the same delivery id (and body),
 * with a new timestamp and signature. A 2xx status line counts as accepted even if the rest of the
 * answer never arrives. Redirects are never followed, and the URL obeys the same
 * private-address rule as feed URLs (ALLOW_PRIVATE_NETWORK).
 *
 * Email: one message through SMTP (nodemailer); its Message-ID is derived from the delivery id, so a
 * re-sent digest is recognisably the same message.
 */
import { createHmac } from 'node:crypto';
import { createTransport, type Transporter } from 'nodemailer';
import { DEFAULT_USER_AGENT, boundedRequest } from '../net/http.js';
import { addressPolicyFor, checkLiteralHost, type AddressPolicy } from '../net/guard.js';
import { describeError, isAppError } from '../shared/errors.js';

export interface AttemptResult {
  ok: boolean;
  /** HTTP status, or SMTP reply code; null when there was no answer. */
  status: number | null;
  error?: string;
  /** No retry can help (e.g. the address is refused by policy). */
  permanent?: boolean;
  /** The receiver asked for this delay (Retry-After). */
  retryAfterMs?: number;
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long an attempt holds its delivery; a process that dies mid-attempt releases it then. */
  leaseMs: number;
}

/** 1 min, 2, 4 … capped at 6 h; 8 attempts (the last about 2 h after the first). */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 60_000, maxDelayMs: 6 * 3_600_000, leaseMs: 5 * 60_000 };

/** The wait after the `attempt`-th failure (1-based), honouring a longer Retry-After within the cap. */
export function retryDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  const backoff = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
  return Math.min(Math.max(backoff, retryAfterMs ?? 0), policy.maxDelayMs);
}

export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/**
 * Why a webhook URL can never be delivered to, checked when it is saved: credentials in it, or a literal
 * address that deliveries would refuse (the same rules and words as every request, net/guard.ts). Host
 * names are checked on every delivery instead, against the address they resolve to then.
 */
export function webhookUrlProblem(raw: string, allowPrivateNetwork: boolean): string | null {
  const url = new URL(raw);
  if (url.username || url.password) return 'must not carry a user name or password';
  try {
    checkLiteralHost(url, addressPolicyFor(allowPrivateNetwork), {});
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

export interface WebhookSettings {
  allowPrivateNetwork: boolean;
  addressPolicy?: AddressPolicy;
  timeoutMs: number;
  userAgent?: string;
}

function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export async function postWebhook(
  target: { url: string; secret: string },
  deliveryId: string,
  body: string,
  timestampSeconds: number,
  settings: WebhookSettings,
): Promise<AttemptResult> {
  try {
    const response = await boundedRequest(target.url, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-shiftwire-delivery': deliveryId,
        'x-shiftwire-timestamp': String(timestampSeconds),
        'x-shiftwire-signature': signWebhook(target.secret, timestampSeconds, body),
      },
      allowPrivateNetwork: settings.allowPrivateNetwork,
      ...(settings.addressPolicy ? { addressPolicy: settings.addressPolicy } : {}),
      timeoutMs: settings.timeoutMs,
      connectTimeoutMs: Math.min(10_000, settings.timeoutMs),
      maxBodyBytes: 1024 * 1024,
      maxRedirects: 0,
      userAgent: settings.userAgent ?? DEFAULT_USER_AGENT,
    });
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    const retryAfterMs = parseRetryAfter(response.headers['retry-after'], timestampSeconds * 1000);
    return {
      ok: false,
      status: response.status,
      error: `the receiver answered HTTP ${response.status}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  } catch (err) {
    // The status line is the receiver's receipt: a 2xx whose body then fails (reset, cut short, too
    // slow) was accepted, and sending it again would be a duplicate the receiver already said yes to.
    const answered = isAppError(err) ? err.details?.status : undefined;
    if (typeof answered === 'number' && answered >= 200 && answered < 300) return { ok: true, status: answered };
    if (isAppError(err)) return { ok: false, status: null, error: err.message, permanent: err.code === 'FEED_BLOCKED' };
    return { ok: false, status: null, error: `the request failed: ${describeError(err)}` };
  }
}

export interface MailSettings {
  smtpUrl: string;
  from: string;
}

export interface DigestMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  unsubscribeUrl: string;
}

export function createMailer(settings: MailSettings) {
  const transport: Transporter = createTransport({ url: settings.smtpUrl, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 });
  return {
    async send(mail: DigestMail): Promise<AttemptResult> {
      try {
        await transport.sendMail({
          from: settings.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: mail.messageId,
          headers: {
            'List-Unsubscribe': `<${mail.unsubscribeUrl}>`,
            'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
            'Auto-Submitted': 'auto-generated',
          },
        });
        return { ok: true, status: 250 };
      } catch (err) {
        const code = (err as { responseCode?: unknown }).responseCode;
        return { ok: false, status: typeof code === 'number' ? code : null, error: `the mail server did not take the message: ${describeError(err)}` };
      }
    },
    close: () => transport.close(),
  };
}

export type Mailer = ReturnType<typeof createMailer>;
