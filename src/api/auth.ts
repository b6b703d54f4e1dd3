import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../shared/errors.js';

/**
 * Guards write endpoints with `Authorization: Bearer <ADMIN_TOKEN>`. Both sides are hashed first so the
 * comparison is constant-time whatever the lengths. With no ADMIN_TOKEN set, writes are refused (403),
 * never open. Routes run it as their onRequest hook: before the body is read or anything is validated,
 * so a caller without the token learns nothing but 401/403 and costs no parsing.
 */
export function requireAdmin(adminToken: string | undefined) {
  const expected = adminToken ? createHash('sha256').update(adminToken).digest() : null;
  return async function checkAdmin(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!expected) {
      throw new AppError('FORBIDDEN', 'write endpoints are disabled: set ADMIN_TOKEN to enable them');
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      reply.header('www-authenticate', 'Bearer realm="shiftwire"');
      throw new AppError('UNAUTHORIZED', 'this endpoint needs an "Authorization: Bearer <ADMIN_TOKEN>" header');
    }
    const given = createHash('sha256').update(match[1]!).digest();
    if (!timingSafeEqual(given, expected)) {
      reply.header('www-authenticate', 'Bearer realm="shiftwire", error="invalid_token"');
      throw new AppError('UNAUTHORIZED', 'the token is not valid');
    }
  };
}
