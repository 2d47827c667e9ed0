/**
 * Sign in with the directory account and password (a bind as the user through the directory
 * adapter: the password is passed on once and never stored or logged), and sign out.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Directory } from '../../integrations/directory/types';
import { isIntegrationError } from '../../integrations/errors';
import { html } from '../web/html';
import { textProblem } from '../web/text';
import { endSession, startSession, type SessionOptions } from '../web/session';
import { csrfCheck, csrfField, renderPage, safeNext, type PortalEnv } from './context';

const signInBody = z.object({
  username: z.string().trim().max(256).default(''),
  password: z.string().max(1024).default(''),
  next: z.string().max(2048).optional(),
});

/** One message for an unknown account and a wrong password, so the page never tells which exists. */
export const wrongCredentialsMessage = 'That account name and password do not match. Check them and try again.';
export const disabledAccountMessage = 'Your account is disabled. Please contact the Service Desk to have it enabled.';

/** What sign-in needs. */
export interface AuthRoutesOptions {
  env: PortalEnv;
  directory: Directory;
  session: SessionOptions;
}

/** `/signin` and `/signout`. */
export function registerAuthRoutes(app: FastifyInstance, options: AuthRoutesOptions): void {
  const csrf = csrfCheck(app);
  const { env, directory } = options;

  const form = (
    reply: Parameters<typeof csrfField>[0],
    values: { username: string; next: string },
    error: string | null,
  ) =>
    html`<h1>Sign in</h1>
<p>Use your usual Windows account name and password.</p>
${error ? html`<div class="alert" role="alert" id="signin-error">${error}</div>` : null}
<form method="post" action="/signin" data-once>
${csrfField(reply)}<input type="hidden" name="next" value="${values.next}">
<label for="username">Account name</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${values.username}"${error ? html` aria-describedby="signin-error"` : null} autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`;

  app.get('/signin', async (request, reply) => {
    const next = safeNext((request.query as Record<string, unknown>).next);
    if (request.portalSession) return reply.redirect(next, 303);
    return renderPage(request, reply, env, 'Sign in', form(reply, { username: '', next }, null));
  });

  app.post('/signin', { preHandler: csrf }, async (request, reply) => {
    const parsed = signInBody.safeParse(request.body ?? {});
    const body = parsed.success ? parsed.data : { username: '', password: '', next: '/' };
    const next = safeNext(body.next);
    const username = body.username.toLowerCase();
    if (!username || !body.password) {
      return renderPage(
        request,
        reply,
        env,
        'Sign in',
        form(reply, { username, next }, 'Enter your account name and your password.'),
        400,
      );
    }
    // Nobody can type a control character: such an account name or password never reaches the directory.
    if (textProblem(username) !== null) {
      return renderPage(
        request,
        reply,
        env,
        'Sign in',
        form(
          reply,
          { username: '', next },
          'Enter your account name as you type it to sign in to Windows (letters and digits, no control characters).',
        ),
        400,
      );
    }
    if (textProblem(body.password) !== null) {
      request.log.info({ account: username }, 'sign-in refused: control characters in the password');
      return renderPage(request, reply, env, 'Sign in', form(reply, { username, next }, wrongCredentialsMessage), 401);
    }
    let result;
    try {
      result = await directory.authenticate(username, body.password);
    } catch (err) {
      request.log.warn(
        { err: isIntegrationError(err) ? { code: err.code, message: err.message } : err, account: username },
        'sign-in: directory unavailable',
      );
      return renderPage(
        request,
        reply,
        env,
        'Sign in',
        form(
          reply,
          { username, next },
          'We cannot reach the company directory right now. Please try again in a minute.',
        ),
        503,
      );
    }
    if (!result.ok) {
      request.log.info({ account: username, reason: result.reason }, 'sign-in refused');
      const message = result.reason === 'account-disabled' ? disabledAccountMessage : wrongCredentialsMessage;
      return renderPage(
        request,
        reply,
        env,
        'Sign in',
        form(reply, { username, next }, message),
        result.reason === 'account-disabled' ? 403 : 401,
      );
    }
    startSession(reply, result.user, options.session);
    request.log.info({ account: result.user.accountName }, 'signed in');
    return reply.redirect(next, 303);
  });

  app.post('/signout', { preHandler: csrf }, async (request, reply) => {
    endSession(reply, options.session);
    request.portalSession = null;
    return renderPage(
      request,
      reply,
      env,
      'Signed out',
      html`<h1>You are signed out</h1><p><a href="/signin">Sign in again</a></p>`,
    );
  });
}
