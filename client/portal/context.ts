/**
 * What every portal route needs: who may reach it (declared per group of routes), the signed-in
 * person, a CSRF token for the page's forms, and rendering inside the page frame.
 */
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  preHandlerHookHandler,
} from 'fastify';
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

/*
 * Who may reach a route is declared per group of routes, like the API's scopes: each group is an
 * encapsulated Fastify context whose `onRequest` hook answers everyone else before the body is
 * read or any handler runs (see {@link routeGroup}).
 */

/** Answers someone who is not signed in: pages redirect to sign-in (and come back), anything else gets 401. */
function askToSignIn(request: FastifyRequest, reply: FastifyReply, env: PortalEnv): void {
  if (request.method === 'GET' || request.method === 'HEAD') {
    void reply.redirect(`/signin?next=${encodeURIComponent(request.url)}`, 303);
    return;
  }
  renderPage(
    request,
    reply,
    env,
    'Please sign in',
    html`<h1>Please sign in</h1><p>Your session has ended. <a href="/signin">Sign in again</a> and repeat what you were doing.</p>`,
    401,
  );
}

/** The pages of signed-in people. */
export function signedIn(env: PortalEnv): onRequestHookHandler {
  return function checkSignedIn(request, reply, done) {
    if (request.portalSession) return done();
    askToSignIn(request, reply, env);
  };
}

/** The pages of people with `role`: as {@link signedIn}, and a 403 page saying `refusal` to everyone else. */
export function hasRole(env: PortalEnv, role: PortalRole, refusal: string): onRequestHookHandler {
  return function checkRole(request, reply, done) {
    const s = request.portalSession;
    if (!s) return askToSignIn(request, reply, env);
    if (s.roles.includes(role)) return done();
    renderPage(
      request,
      reply,
      env,
      'Not available',
      html`<h1>Not available to you</h1><p>${refusal}</p><p><a href="/">Back to the home page</a></p>`,
      403,
    );
  };
}

/**
 * What the page script fetches (live fragments, as-you-type validation) for signed-in people.
 * Nobody reads the refusal, so it is a bare 401 with `body` (what the script expects in place
 * of the answer), never a page or a redirect.
 */
export function signedInFetch(body: string | Record<string, unknown> = ''): onRequestHookHandler {
  return function checkSignedInFetch(request, reply, done) {
    if (request.portalSession) return done();
    void reply.code(401).send(body);
  };
}

/** What the page script fetches for people with `role`: everyone else (signed out too) gets a bare 403. */
export function hasRoleFetch(role: PortalRole): onRequestHookHandler {
  return function checkRoleFetch(request, reply, done) {
    if (request.portalSession?.roles.includes(role)) return done();
    void reply.code(403).send('');
  };
}

/**
 * Registers `routes` in an encapsulated context of their own with `access` as its `onRequest`
 * hook: every route declared there is checked, and no route outside the group is.
 */
export function routeGroup(
  app: FastifyInstance,
  access: onRequestHookHandler,
  routes: (group: FastifyInstance) => void,
): void {
  void app.register((group, _options, done) => {
    group.addHook('onRequest', access);
    routes(group);
    done();
  });
}

/** The signed-in person, on a route of a group that admits only signed-in people. */
export function sessionOf(request: FastifyRequest): Session {
  const s = request.portalSession;
  // The group's onRequest hook answered everyone else: reaching here without one is a wiring mistake.
  if (!s) throw new Error(`${request.method} ${request.routeOptions.url ?? request.url} is outside a signed-in group`);
  return s;
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
