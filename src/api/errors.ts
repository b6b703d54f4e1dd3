import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, isAppError } from '../shared/errors.js';

/** RFC 9457 problem details. `errors` names each offending parameter. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  errors?: Array<{ parameter: string; detail: string }>;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function problem(status: number, code: string, detail: string, extra: Partial<Problem> = {}): Problem {
  return {
    type: `https://shiftwire.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...extra,
  };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json; charset=utf-8').header('cache-control', 'no-store').send(p);
}

/** Where in the request an issue was: `query.limit`, `body.filter.companies[1]`… reported as the bare name. */
function parameterName(instancePath: string | undefined, params: Record<string, unknown> | undefined): string {
  const fromPath = (instancePath ?? '').replace(/^\//, '').split('/').filter(Boolean);
  const key = (params?.keys as string[] | undefined)?.[0];
  if (key) fromPath.push(key);
  return fromPath.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(request)';
}

/** One error handler for the whole API: every failure leaves as problem+json, and user input never causes a 500. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const instance = request.url.split('?')[0];
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'request';
      const errors = err.validation.map((v) => {
        const keys = (v.params as { keys?: string[] }).keys;
        const name = parameterName(v.instancePath, v.params as Record<string, unknown>);
        const detail = v.keyword === 'unrecognized_keys' ? `unknown parameter "${keys?.join('", "')}"` : v.message ?? 'invalid';
        return { parameter: `${where === 'querystring' ? 'query' : where}.${name}`.replace(/\.\(request\)$/, ''), detail };
      });
      const first = errors[0];
      const detail = first ? `${first.parameter}: ${first.detail}` : 'the request is invalid';
      return sendProblem(reply, problem(400, 'VALIDATION_FAILED', detail, { instance, errors }));
    }
    if (isAppError(err)) {
      const errors = typeof err.details?.parameter === 'string' ? [{ parameter: err.details.parameter, detail: err.message }] : undefined;
      return sendProblem(reply, problem(err.statusCode, err.code, err.message, { instance, ...(errors ? { errors } : {}) }));
    }
    if (isResponseSerializationError(err)) {
      request.log.error({ err }, 'response did not match its schema');
      return sendProblem(reply, problem(500, 'INTERNAL', 'the server could not build its answer', { instance }));
    }
    const status = (err as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Fastify's own client errors: bad JSON, wrong content type, body too large, rate limit… The rate
      // limiter throws the plain object its errorResponseBuilder made (a problem, with `detail`, no `message`).
      const code = (err as FastifyError).code ?? 'BAD_REQUEST';
      const given = (err as { detail?: unknown }).detail;
      const detail = typeof err.message === 'string' && err.message !== '' ? err.message : typeof given === 'string' ? given : 'the request was refused';
      return sendProblem(reply, problem(status, code.replace(/^FST_ERR_/, ''), detail, { instance }));
    }
    request.log.error({ err }, 'request failed');
    return sendProblem(reply, problem(500, 'INTERNAL', 'something went wrong on our side; the error has been logged', { instance }));
  });

  app.setNotFoundHandler((request, reply) => {
    sendProblem(reply, problem(404, 'NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`, { instance: request.url.split('?')[0] }));
  });
}

/**
 * Fastify's `frameworkErrors`: what the router refuses before any route or hook runs (a malformed
 * %-escape in the path, FST_ERR_BAD_URL), answered as a problem document like every other error.
 */
export function handleFrameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const instance = request.url.split('?')[0];
  const detail = err.code === 'FST_ERR_BAD_URL' ? 'the path is not a valid URL (it has a malformed %-escape)' : err.message;
  sendProblem(reply, problem(err.statusCode ?? 400, (err.code ?? 'BAD_REQUEST').replace(/^FST_ERR_/, ''), detail, { instance }));
}

export function notFound(code: 'STORY_NOT_FOUND' | 'FEED_NOT_FOUND' | 'SUBSCRIPTION_NOT_FOUND' | 'DIGEST_NOT_FOUND', what: string): AppError {
  return new AppError(code, `${what} does not exist`);
}
