/**
 * "My access" (`/access`): what the signed-in person has through access requests, since and
 * until when, with buttons to ask for an extension and to end it now; and the IT console's
 * "ending soon" list (`/access/console`, IT staff). Read from the grant workflows.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { untilPattern } from '../../workflows/access/definitions';
import type { AccessGrants } from '../journeys/access-grants';
import type { AccessGrantView } from '../journeys/views';
import { HttpError } from '../errors';
import { html, type HtmlValue } from '../web/html';
import { csrfCheck, csrfField, hasRole, renderPage, routeGroup, sessionOf, signedIn, type PortalEnv } from './context';

const extendForm = z.object({
  until: z.string().trim().regex(untilPattern, 'A date such as 2027-03-31, or "for 30 days"'),
  reason: z.string().trim().min(3, 'Say why you need it longer').max(500, 'Keep it under 500 characters'),
});
const endForm = z.object({ reason: z.string().trim().max(500, 'Keep it under 500 characters').optional() });

const when = (iso: string | null): string => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : 'no end date');

function grantItem(reply: FastifyReply, g: AccessGrantView, error: string | undefined, staff: boolean): HtmlValue {
  // A grant that did not answer in time: what its search attributes say, and no buttons (its
  // pending extension is not known, and an action would wait on the same worker).
  const active = g.state === 'active' && g.complete;
  return html`<li class="card" id="${g.grantId}">
    <h2>${g.roleLabel}</h2>
    <p>
      ${g.serviceTitle}${staff ? html` · <strong>${g.person}</strong>` : null} · since ${when(g.since)} · until
      <strong>${when(g.until)}</strong>${g.state !== 'active' ? html` · ${g.state}` : null}
    </p>
    ${
      g.complete
        ? null
        : html`<p class="notice" role="status">
            Details unavailable right now (extensions, reminders, the buttons): try again in a minute.
          </p>`
    }
    ${
      g.pendingExtension
        ? html`<p class="notice" role="status">
            Extension until ${when(g.pendingExtension.until)} waiting for ${g.pendingExtension.approver ?? 'approval'}.
          </p>`
        : null
    }
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      active && !staff && !g.pendingExtension
        ? html`<form method="post" action="/access/${g.grantId}/extend">
            ${csrfField(reply)}
            <label for="until-${g.grantId}">Keep it until (a date, or "for 30 days")</label>
            <input id="until-${g.grantId}" name="until" required />
            <label for="reason-${g.grantId}">Why</label>
            <input id="reason-${g.grantId}" name="reason" required />
            <div><button type="submit">Ask to extend</button></div>
          </form>`
        : null
    }
    ${
      active
        ? html`<form method="post" action="/access/${g.grantId}/end">
            ${csrfField(reply)}
            <div><button type="submit">End it now</button></div>
          </form>`
        : null
    }
  </li>`;
}

export function registerAccessPages(app: FastifyInstance, deps: { env: PortalEnv; grants: AccessGrants }): void {
  const { env, grants } = deps;
  const csrf = csrfCheck(app);

  const myAccess = async (reply: FastifyReply, person: string, errors: Record<string, string> = {}) => {
    const list = await grants.grantsOf(person);
    return html`<h1>My access</h1>
      ${
        list.length === 0
          ? html`<p>You have no access through the IT portal yet. <a href="/catalog">Ask for access</a>.</p>`
          : html`<ul class="cards">
              ${list.map((g) => grantItem(reply, g, errors[g.grantId], false))}
            </ul>`
      }`;
  };

  routeGroup(app, signedIn(env), (pages) => {
    pages.get('/access', async (request, reply) => {
      const session = sessionOf(request);
      return renderPage(request, reply, env, 'My access', await myAccess(reply, session.accountName));
    });

    /** Runs an action; a refusal the person can act on is shown on the page, not as an error page. */
    async function act(
      request: FastifyRequest,
      reply: FastifyReply,
      id: string,
      person: string,
      run: () => Promise<unknown>,
      done: string,
    ) {
      try {
        await run();
      } catch (err) {
        if (err instanceof HttpError && err.statusCode < 500) {
          return renderPage(
            request,
            reply,
            env,
            'My access',
            await myAccess(reply, person, { [id]: err.message }),
            err.statusCode,
          );
        }
        throw err;
      }
      return renderPage(
        request,
        reply,
        env,
        'My access',
        html`<p class="notice" role="status">${done}</p>
        ${await myAccess(reply, person)}`,
      );
    }

    pages.post<{ Params: { id: string } }>('/access/:id/extend', { preHandler: csrf }, async (request, reply) => {
      const session = sessionOf(request);
      const id = request.params.id;
      const body = extendForm.safeParse(request.body ?? {});
      if (!body.success) {
        const message = body.error.issues[0]?.message ?? 'Check the form';
        return renderPage(
          request,
          reply,
          env,
          'My access',
          await myAccess(reply, session.accountName, { [id]: message }),
          400,
        );
      }
      return act(
        request,
        reply,
        id,
        session.accountName,
        () => grants.extend(id, session.accountName, body.data),
        'Asked: your manager decides, and we email you the answer.',
      );
    });

    pages.post<{ Params: { id: string } }>('/access/:id/end', { preHandler: csrf }, async (request, reply) => {
      const session = sessionOf(request);
      const id = request.params.id;
      const body = endForm.safeParse(request.body ?? {});
      const reason = body.success ? (body.data.reason ?? null) : null;
      const staff = session.roles.includes('it-staff');
      return act(
        request,
        reply,
        id,
        session.accountName,
        () => grants.end(id, session.accountName, staff, reason || null),
        'Ending it now: we email you when it is gone.',
      );
    });
  });

  routeGroup(app, hasRole(env, 'it-staff', 'The access console is for IT staff.'), (staff) => {
    staff.get('/access/console', async (request, reply) => {
      const list = await grants.endingBefore(new Date(Date.now() + 30 * 86_400_000).toISOString());
      return renderPage(
        request,
        reply,
        env,
        'Access ending soon',
        html`<h1>Access ending in the next 30 days</h1>
        ${
          list.length === 0
            ? html`<p>Nothing ends in the next 30 days.</p>`
            : html`<ul class="cards">
                ${list.map((g) => grantItem(reply, g, undefined, true))}
              </ul>`
        }`,
      );
    });
  });
}
