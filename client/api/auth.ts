/**
 * Bearer API keys for `/api/v1`. Authentication and the scope check run in `onRequest`, before
 * the body is read, so an unauthenticated caller learns nothing about the body's shape.
 */
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { findApiKey, type ApiCaller, type ApiKeyEntry, type ApiScope } from './keys';
import { HttpError } from '../errors';

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** An `onRequest` hook admitting only callers whose key has `scope`. */
export function requireScope(keys: readonly ApiKeyEntry[], scope: ApiScope): onRequestHookHandler {
  return function checkApiKey(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    const presented = bearer(request);
    if (!presented) {
      void reply.header('www-authenticate', 'Bearer realm="service-journeys"');
      done(new HttpError('unauthenticated', 'Send an API key as "Authorization: Bearer <key>"'));
      return;
    }
    const caller = findApiKey(keys, presented);
    if (!caller) {
      void reply.header('www-authenticate', 'Bearer realm="service-journeys", error="invalid_token"');
      done(new HttpError('unauthenticated', 'That API key is not valid'));
      return;
    }
    if (!caller.scopes.includes(scope)) {
      done(new HttpError('forbidden', `The API key "${caller.name}" lacks the scope ${scope}`));
      return;
    }
    request.apiCaller = caller;
    done();
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key that authenticated this request (API routes only). */
    apiCaller: ApiCaller | null;
  }
}
