/**
 * The home page: incident banners for the services this person subscribes to (with "This
 * affects me"), the catalog search and a way to their requests. Nothing here waits on a
 * journey: subscriptions and banners come with short deadlines and the page renders without
 * them when they are slow.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { html, timeTag, type SafeHtml } from '../web/html';
import type { IncidentView } from '../journeys/views';
import { csrfField, renderPage, routeGroup, sessionOf, signedIn } from './context';
import type { PortalDeps } from './deps';

/** One incident's banner: message, workaround, latest note and "This affects me". */
export function incidentBanner(reply: FastifyReply, incident: IncidentView, affected: boolean): SafeHtml {
  const latest = incident.updates.at(-1);
  const resolved = incident.status !== 'open';
  return html`<section class="${resolved ? 'notice' : 'banner'}" aria-labelledby="inc-${incident.id}" data-incident="${incident.id}">
<h2 id="inc-${incident.id}">${resolved ? 'Resolved: ' : ''}${incident.serviceName}: ${incident.title}</h2>
<p>${incident.message}</p>
${incident.workaround ? html`<p><strong>Meanwhile:</strong> ${incident.workaround}</p>` : null}
${latest ? html`<p><strong>Latest update</strong> (${timeTag(latest.at)}): ${latest.text}</p>` : null}
${resolved && incident.resolutionNote ? html`<p>${incident.resolutionNote}</p>` : null}
${
  resolved
    ? null
    : affected
      ? html`<p><strong>You told us this affects you.</strong> We will email you when it is fixed.</p>`
      : html`<form method="post" action="/incidents/${incident.id}/affected" data-once>${csrfField(reply)}
<button type="submit">This affects me</button></form>`
}
</section>`;
}

/** `/`: the home page. */
export function registerHomeRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const { env, journeys } = deps;

  routeGroup(app, signedIn(env), (pages) => {
    pages.get('/', async (request, reply) => {
      const session = sessionOf(request);
      const banners = await journeys.bannersFor(session.accountName);
      const affected = await Promise.all(
        banners.incidents.map((i) =>
          i.status === 'open'
            ? journeys.person(i.id, session.accountName).then((p) => p !== null && p.affectedInPhase === i.phase)
            : Promise.resolve(false),
        ),
      );
      const body = html`<h1>Hello, ${session.displayName}</h1>
<div id="banners">${banners.incidents.map((i, n) => incidentBanner(reply, i, affected[n] ?? false))}
${banners.complete ? null : html`<p class="muted">Service status could not be loaded just now; reload the page in a moment.</p>`}</div>
<form method="get" action="/catalog" role="search">
<label for="q">What do you need?</label>
<input id="q" name="q" type="search" placeholder="Search the service catalog, e.g. Expensatron">
<button type="submit">Search</button></form>
<h2>Shortcuts</h2>
<ul><li><a href="/requests">My requests</a>: where each of your requests is</li><li><a href="/catalog">Every service we offer</a></li>
${session.roles.includes('approver') ? html`<li><a href="/approvals">Requests waiting for your approval</a></li>` : null}
${session.roles.includes('it-staff') ? html`<li><a href="/console">IT console</a>: incidents</li>` : null}</ul>`;
      return renderPage(request, reply, env, 'Home', body);
    });
  });
}
