/**
 * One error type for the whole service, with a catalogue of codes (after fastify's lib/errors.js).
 * Lookups return undefined for "not there"; failures throw an AppError with a code, a plain-words
 * message and, where it applies, the HTTP status the API should answer with.
 */
export const ErrorCodes = {
  CONFIG_INVALID: 500,
  TAXONOMY_INVALID: 500,
  FEED_FETCH_FAILED: 502,
  FEED_BLOCKED: 400,
  FEED_TOO_LARGE: 502,
  FEED_TIMEOUT: 504,
  FEED_PARSE_FAILED: 422,
  FEED_UNSAFE: 422,
  FEED_NOT_FOUND: 404,
  FEED_EXISTS: 409,
  STORY_NOT_FOUND: 404,
  SUBSCRIPTION_NOT_FOUND: 404,
  DIGEST_NOT_FOUND: 404,
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  DELIVERY_FAILED: 502,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Extra facts for the API's problem document (e.g. the offending parameter). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown>; statusCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.statusCode = options.statusCode ?? ErrorCodes[code];
    this.details = options.details;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** A message safe to show a person, whatever was thrown. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
