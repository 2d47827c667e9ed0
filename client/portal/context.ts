/**
 * What every portal route needs: the signed-in person, a CSRF token for the page's forms, and
 * rendering inside the page frame.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { html, type HtmlValue } from '../web/html';
import { page } from '../web/layout';
import type { Session, PortalRole } from '../web/session';

/** Facts about this deployment the page frame needs. */
export interface PortalEnv {
  hasOutbox: boolean;
}

const tokens = new WeakMap<FastifyReply, string>();

/**
 * The CSRF token for this response. One per response: without a CSRF cookie yet, every call
 * would mint a new secret and only the last one's cookie would reach the browser.
 */
export function csrfToken(reply: FastifyReply): string {
  let token = tokens.get(reply);
  if (token === undefined) {
    token = reply.generateCsrf();
    tokens.set(reply, token);
  }
  return token;
}

/** Sends a page in the frame, with the signed-in person's navigation and a CSRF token. */
export function renderPage(
  request: FastifyRequest,
  reply: FastifyReply,
  env: PortalEnv,
  title: string,
  body: HtmlValue,
  status = 200,
): FastifyReply {
  const csrf = csrfToken(reply);
  const markup = page(
    { session: request.portalSession, csrf, hasOutbox: env.hasOutbox, path: request.url.split('?')[0] ?? '/' },
    { title, body },
  );
  return reply.code(status).type('text/html; charset=utf-8').send(markup);
}

/** A hidden CSRF field for a form on the page being rendered. */
export function csrfField(reply: FastifyReply): HtmlValue {
  return html`<input type="hidden" name="_csrf" value="${csrfToken(reply)}">`;
}

/** Only local paths, so `?next=` can never send someone to another site. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}

/**
 * The signed-in person, or null after answering: pages redirect to sign-in (and come back),
 * everything else gets 401.
 */
export function requireSession(request: FastifyRequest, reply: FastifyReply, env: PortalEnv): Session | null {
  const s = request.portalSession;
  if (s) return s;
  if (request.method === 'GET' || request.method === 'HEAD') {
    void reply.redirect(`/signin?next=${encodeURIComponent(request.url)}`, 303);
  } else {
    renderPage(
      request,
      reply,
      env,
      'Please sign in',
      html`<h1>Please sign in</h1><p>Your session has ended. <a href="/signin">Sign in again</a> and repeat what you were doing.</p>`,
      401,
    );
  }
  return null;
}

/** Like {@link requireSession}, and answers 403 unless the person has `role`. */
export function requireRole(
  request: FastifyRequest,
  reply: FastifyReply,
  env: PortalEnv,
  role: PortalRole,
  what: string,
): Session | null {
  const s = requireSession(request, reply, env);
  if (!s) return null;
  if (s.roles.includes(role)) return s;
  renderPage(
    request,
    reply,
    env,
    'Not available',
    html`<h1>Not available to you</h1><p>${what}</p><p><a href="/">Back to the home page</a></p>`,
    403,
  );
  return null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The portal session from the signed cookie; null when not signed in. */
    portalSession: Session | null;
  }
}

/** The CSRF check as a preHandler (after the form body is parsed: the token travels in it). */
export function csrfCheck(app: FastifyInstance): preHandlerHookHandler {
  return (request, reply, done) => app.csrfProtection(request, reply, done);
}

/** The refusal every IT console page gives people outside the IT staff group. */
export const itOnly = 'The IT console is for IT staff.';
