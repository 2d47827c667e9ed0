/**
 * The service catalog: search, the service page (plain words, what happens next, the request
 * form generated from the service's schema), the request itself and the quick-start guide.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { checkForm, formFields, renderField } from '../web/forms';
import { html, type SafeHtml } from '../web/html';
import type { ServiceView } from '../journeys/views';
import { csrfCheck, csrfField, renderPage, routeGroup, sessionOf, signedIn, signedInFetch } from './context';
import type { PortalDeps } from './deps';

const searchQuery = z.object({ q: z.string().trim().max(200).optional().catch(undefined) });
const submissionId = z.string().regex(/^[A-Za-z0-9-]{8,64}$/);

function serviceSummary(s: ServiceView): SafeHtml {
  return html`<li><h2><a href="/catalog/${s.id}">${s.title}</a></h2><p>${s.summary}</p></li>`;
}

/** The request form of a service, generated from its zod form; `submission` makes a double submit one journey. */
export function requestForm(
  reply: FastifyReply,
  service: ServiceView,
  values: Record<string, unknown>,
  errors: Record<string, string>,
  submission: string,
): SafeHtml {
  const fields = formFields(service.form);
  const summary = Object.keys(errors).length
    ? html`<div class="alert" role="alert" tabindex="-1" id="form-errors"><strong>Please check the form:</strong><ul>${Object.entries(
        errors,
      ).map(
        ([name, message]) =>
          html`<li><a href="#f-${name}">${fields.find((f) => f.name === name)?.label ?? 'Form'}: ${message}</a></li>`,
      )}</ul></div>`
    : null;
  return html`<section aria-labelledby="request-heading"><h2 id="request-heading">Ask for ${service.title}</h2>
${summary}
<form method="post" action="/catalog/${service.id}/request" data-validate="/catalog/${service.id}/validate" data-once novalidate>
${csrfField(reply)}<input type="hidden" name="submissionId" value="${submission}">
${fields.length === 0 ? html`<p>There is nothing to fill in: we know who you are.</p>` : fields.map((f) => renderField(f, values, errors))}
<div><button type="submit">OK, ask for ${service.title}</button></div>
</form></section>`;
}

/** `/catalog`, `/catalog/:id`, its guide, live validation and the request itself. */
export function registerCatalogRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const csrf = csrfCheck(app);
  const { env, journeys } = deps;

  routeGroup(app, signedIn(env), (pages) => {
    pages.get('/catalog', async (request, reply) => {
      const { q } = searchQuery.parse(request.query ?? {});
      const results = q ? journeys.search(q) : journeys.catalog();
      const body = html`<h1>Service catalog</h1>
<form method="get" action="/catalog" role="search">
<label for="q">Search for a service</label>
<input id="q" name="q" type="search" value="${q ?? ''}" placeholder="e.g. expenses, phone, Expensatron">
<button type="submit">Search</button></form>
${q ? html`<p role="status">${results.length} service${results.length === 1 ? '' : 's'} found for “${q}”</p>` : null}
${results.length === 0 && q ? html`<p>Try another word, or <a href="/catalog">see every service</a>.</p>` : null}
<ul class="cards" id="results">${results.map(serviceSummary)}</ul>`;
      return renderPage(request, reply, env, q ? `Search: ${q}` : 'Service catalog', body);
    });

    const servicePage = (
      reply: FastifyReply,
      service: ServiceView,
      values: Record<string, unknown>,
      errors: Record<string, string>,
      submission: string,
    ) =>
      html`<p><a href="/catalog">← Service catalog</a></p>
<h1>${service.title}</h1>
${service.description.map((p) => html`<p>${p}</p>`)}
<h2>What happens next</h2>
<ol>${service.whatHappensNext.map((step) => html`<li>${step}</li>`)}</ol>
${service.needsApproval ? html`<p class="notice">This service needs your manager's approval; you can follow your request on “My requests”.</p>` : null}
${requestForm(reply, service, values, errors, submission)}
<p><a href="/catalog/${service.id}/guide">Read the quick-start guide</a></p>`;

    pages.get<{ Params: { serviceId: string } }>('/catalog/:serviceId', async (request, reply) => {
      const service = journeys.service(request.params.serviceId);
      if (!service)
        return renderPage(
          request,
          reply,
          env,
          'Not found',
          html`<h1>No such service</h1><p><a href="/catalog">See the service catalog</a></p>`,
          404,
        );
      return renderPage(request, reply, env, service.title, servicePage(reply, service, {}, {}, randomUUID()));
    });

    pages.post<{ Params: { serviceId: string } }>(
      '/catalog/:serviceId/request',
      { preHandler: csrf },
      async (request, reply) => {
        const session = sessionOf(request);
        const service = journeys.service(request.params.serviceId);
        if (!service) return renderPage(request, reply, env, 'Not found', html`<h1>No such service</h1>`, 404);
        const body =
          typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {};
        const submission = submissionId.safeParse(body.submissionId).success ? String(body.submissionId) : randomUUID();
        const result = checkForm(service.form, formFields(service.form), body);
        if (!result.ok) {
          return renderPage(
            request,
            reply,
            env,
            `${service.title}: please check`,
            servicePage(reply, service, body, result.errors, submission),
            400,
          );
        }
        // The submission id is minted with the form, so a double click or a resubmitted page
        // derives the same request id and lands on the first journey.
        const started = await journeys.submitRequest({
          serviceId: service.id,
          requester: session.accountName,
          fields: result.value,
          requestKey: `portal:${session.accountName}:${submission}`,
          requesterLabel: session.email,
        });
        return reply.redirect(`/requests/${encodeURIComponent(started.id)}/recorded`, 303);
      },
    );
  });

  // The as-you-type check of the request form.
  routeGroup(app, signedInFetch({ errors: {} }), (fetches) => {
    fetches.post<{ Params: { serviceId: string } }>(
      '/catalog/:serviceId/validate',
      { preHandler: csrf },
      async (request, reply) => {
        const service = journeys.service(request.params.serviceId);
        if (!service) return reply.code(404).send({ errors: {} });
        const body =
          typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {};
        const result = checkForm(service.form, formFields(service.form), body);
        return reply.header('cache-control', 'no-store').send({ errors: result.ok ? {} : result.errors });
      },
    );
  });

  // Anyone: the guide is linked from the emails a request sends.
  app.get<{ Params: { serviceId: string } }>('/catalog/:serviceId/guide', async (request, reply) => {
    const service = journeys.service(request.params.serviceId);
    if (!service)
      return renderPage(
        request,
        reply,
        env,
        'Not found',
        html`<h1>No such service</h1><p><a href="/catalog">See the service catalog</a></p>`,
        404,
      );
    const g = service.guide;
    return renderPage(
      request,
      reply,
      env,
      g.title,
      html`<h1>${g.title}</h1>${g.sections.map((s) => html`<h2>${s.heading}</h2><p>${s.text}</p>`)}<p><a href="/catalog/${service.id}">About ${service.title}</a></p>`,
    );
  });
}
