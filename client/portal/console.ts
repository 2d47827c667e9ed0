/**
 * The IT console, for members of the IT staff directory group (nested groups such as Service
 * Desk count): declare an incident, post progress, resolve, and see the affected counts, the
 * confirmations and the follow-up list.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isIntegrationError } from '../../integrations/errors';
import { HttpError } from '../errors';
import { asSentence, textProblem } from '../web/text';
import { html, timeTag, type SafeHtml } from '../web/html';
import type { IncidentView } from '../journeys/views';
import { csrfCheck, csrfField, hasRole, hasRoleFetch, itOnly, renderPage, routeGroup, sessionOf } from './context';
import type { PortalDeps } from './deps';
import { pickerServices, registerServicePickerRoutes, serviceField, serviceSearch } from './service-picker';

/** Form messages for people: the same checks as the API's (client/web/text.ts), worded for a page. */
const controlCharacters =
  (multiline = false) =>
  (value: string, ctx: z.RefinementCtx) => {
    const problem = textProblem(value, { multiline });
    if (problem) ctx.addIssue({ code: 'custom', message: asSentence(problem) });
  };

const link = z
  .url({ protocol: /^https?$/, error: 'Enter a web address starting with https://' })
  .max(500, 'Keep the web address under 500 characters')
  .superRefine(controlCharacters())
  .regex(/^https?:\/\/\S+$/, 'Enter a web address without spaces');

const declareBody = z.object({
  serviceId: z
    .string({ error: 'Enter the service (its CMDB id, e.g. crm)' })
    .trim()
    .min(1, 'Enter the service (its CMDB id, e.g. crm)')
    .max(100, 'Keep the service id under 100 characters')
    .superRefine(controlCharacters())
    .regex(/^[A-Za-z0-9_.-]*$/, 'Enter the service’s CMDB id, e.g. crm (letters, digits, _ . -)'),
  title: z
    .string({ error: 'Give the incident a short title' })
    .trim()
    .min(3, 'Give the incident a short title')
    .max(200, 'Keep the title under 200 characters')
    .superRefine(controlCharacters()),
  message: z
    .string({ error: 'Say what users see, in plain words' })
    .trim()
    .min(3, 'Say what users see, in plain words')
    .max(2000, 'Keep the message under 2000 characters')
    .superRefine(controlCharacters(true)),
  workaround: z
    .string({ error: 'Describe the workaround in words' })
    .trim()
    .max(1000, 'Keep the workaround under 1000 characters')
    .superRefine(controlCharacters(true))
    .optional(),
  iosLink: link.optional(),
  androidLink: link.optional(),
  submissionId: z
    .string()
    .regex(/^[A-Za-z0-9-]{8,64}$/)
    .optional(),
});

const progressBody = z.object({
  text: z
    .string({ error: 'Write the update' })
    .trim()
    .min(3, 'Write the update')
    .max(2000, 'Keep the update under 2000 characters')
    .superRefine(controlCharacters(true)),
  notifyAffected: z.string().optional(),
});

const resolveBody = z.object({
  note: z
    .string({ error: 'Say what was fixed' })
    .trim()
    .min(3, 'Say what was fixed')
    .max(2000, 'Keep the note under 2000 characters')
    .superRefine(controlCharacters(true)),
});

const taskNote = z
  .string({ error: 'Write the note as text' })
  .trim()
  .max(1000, 'Keep the note under 1000 characters')
  .superRefine(controlCharacters(true))
  .optional();

type Errors = Record<string, string>;

function errorsOf(error: z.ZodError): Errors {
  const out: Errors = {};
  for (const i of error.issues) out[String(i.path[0] ?? '_')] ??= i.message;
  return out;
}

function textField(
  name: string,
  label: string,
  errors: Errors,
  values: Record<string, unknown>,
  opts: { area?: boolean; hint?: string; required?: boolean } = {},
): SafeHtml {
  const value = typeof values[name] === 'string' ? values[name] : '';
  const invalid = errors[name] ? html` aria-invalid="true"` : null;
  const req = opts.required === false ? null : html` required`;
  const hint = opts.hint ? html`<span class="hint" id="${name}-hint">${opts.hint}</span>` : null;
  const described = `${opts.hint ? `${name}-hint ` : ''}${name}-error`;
  return html`<label for="f-${name}">${label}${hint}</label>${
    opts.area
      ? html`<textarea id="f-${name}" name="${name}" rows="3" aria-describedby="${described}"${req}${invalid}>${value}</textarea>`
      : html`<input id="f-${name}" name="${name}" value="${value}" aria-describedby="${described}"${req}${invalid}>`
  }<span class="error" id="${name}-error">${errors[name] ?? ''}</span>`;
}

function countsTable(i: IncidentView): SafeHtml {
  const c = i.counts;
  const row = (label: string, value: number | null) =>
    html`<tr><th scope="row">${label}</th><td data-count="${label}">${value ?? '…'}</td></tr>`;
  return html`<table><caption class="muted">Counts</caption><tbody>
${row('Subscribers', c.subscribers)}${row('Notified', c.notified)}${row('Affected', c.affected)}${row('Confirmed fixed', c.fixed)}${row('Still broken', c.stillBroken)}${row('No answer yet', c.noAnswer)}
</tbody></table>`;
}

/** `/console`: incidents and service desk tasks, for IT staff only. */
export function registerConsoleRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const csrf = csrfCheck(app);
  const { env, journeys, cmdb, config } = deps;

  const uiLink = (i: IncidentView): SafeHtml | null =>
    config.temporalUiUrl
      ? html`<a href="${config.temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(i.workflowId)}">See it in the Temporal UI</a>`
      : null;

  const notAllLoaded = html`<p class="muted">The list could not be loaded completely; reload in a moment.</p>`;

  routeGroup(app, hasRole(env, 'it-staff', itOnly), (staff) => {
    registerServicePickerRoutes(staff, { cmdb });

    const consoleHome = async (reply: FastifyReply, errors: Errors, values: Record<string, unknown>, find = '') => {
      const [open, tasks, services, found] = await Promise.all([
        journeys.openIncidents(null),
        journeys.awaitingServiceDesk(),
        pickerServices(cmdb, ''),
        find === '' ? Promise.resolve(null) : pickerServices(cmdb, find),
      ]);
      return html`<h1>IT console</h1>
      <p>
        <a href="/console/experience">Experience metrics</a>: time to outcome, NPS, incident settle times and experience
        level agreements per service.
      </p>
      <h2>Open incidents</h2>
      ${open.complete ? null : notAllLoaded}
      ${open.complete && open.incidents.length === 0 ? html`<p>No open incidents.</p>` : null}
      <ul class="cards">
        ${open.incidents.map(
          (i) =>
            html`<li data-incident="${i.id}">
              <h3><a href="/console/incidents/${i.id}">${i.serviceName}: ${i.title}</a></h3>
              <p>${i.status} · declared ${timeTag(i.declaredAt)} · ${i.counts.affected} affected</p>
            </li>`,
        )}
      </ul>
      <h2>Service desk tasks</h2>
      ${tasks.complete ? null : notAllLoaded}
      ${tasks.complete && tasks.requests.length === 0 ? html`<p>No requests are waiting for the service desk.</p>` : null}
      <ul class="cards">
        ${tasks.requests.map(
          (r) =>
            html`<li data-request="${r.id}">
              <h3>${r.serviceTitle} for ${r.requester}</h3>
              <p>
                ${r.waitingFor?.kind === 'manual-task' ? html`${r.waitingFor.task}, waiting since ${timeTag(r.waitingFor.since)}` : null}${r.summary ? html` · ${r.summary}` : null}
              </p>
              <form method="post" action="/console/tasks/${r.id}" data-once>
                ${csrfField(reply)} <label for="note-${r.id}">Note for the requester (optional)</label
                ><input id="note-${r.id}" name="note" maxlength="1000" /> <button type="submit">Mark done</button>
              </form>
            </li>`,
        )}
      </ul>
      <h2 id="declare-heading">Declare an incident</h2>
      ${serviceSearch(find, found)}
      <form method="post" action="/console/incidents/confirm" aria-labelledby="declare-heading" data-once>
        ${csrfField(reply)}
        <input
          type="hidden"
          name="submissionId"
          value="${typeof values.submissionId === 'string' ? values.submissionId : randomUUID()}"
        />
        ${serviceField(errors, values, services)}
        ${textField('title', 'Title', errors, values, { hint: 'Short, e.g. “CRM web app unavailable”' })}
        ${textField('message', 'Message to users', errors, values, { area: true, hint: 'What users see and what IT is doing, in plain words' })}
        ${textField('workaround', 'Workaround (optional)', errors, values, { area: true, required: false, hint: 'e.g. “The mobile CRM app works”' })}
        ${textField('iosLink', 'Download link for iPhone (optional)', errors, values, { required: false, hint: 'Affected people with an iPhone can have it texted to them' })}
        ${textField('androidLink', 'Download link for Android (optional)', errors, values, { required: false, hint: 'Affected people with an Android phone can have it texted to them' })}
        <div><button type="submit">Review and declare</button></div>
      </form>`;
    };

    /** The declare form's fields, as a GET (the confirm page's "Change") or a POST brings them. */
    const declareFields = ['serviceId', 'title', 'message', 'workaround', 'iosLink', 'androidLink', 'submissionId'];
    const formValues = (source: unknown): Record<string, string> => {
      const out: Record<string, string> = {};
      const from = (source ?? {}) as Record<string, unknown>;
      for (const k of declareFields) if (typeof from[k] === 'string') out[k] = from[k];
      return out;
    };
    const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
    const parseDeclare = (values: Record<string, unknown>) =>
      declareBody.safeParse({
        ...values,
        workaround: blankToUndefined(values.workaround),
        iosLink: blankToUndefined(values.iosLink),
        androidLink: blankToUndefined(values.androidLink),
      });
    /**
     * Validates a declaration and finds its service in the CMDB: both, or the form again (400)
     * with every problem (an id the CMDB does not know is the person's to correct).
     */
    const checkDeclare = async (
      request: FastifyRequest,
      reply: FastifyReply,
      values: Record<string, unknown>,
    ): Promise<
      | { refused: FastifyReply }
      | { refused: null; data: z.infer<typeof declareBody>; service: { id: string; name: string } }
    > => {
      const again = async (errors: Errors) => ({
        refused: renderPage(request, reply, env, 'IT console', await consoleHome(reply, errors, values), 400),
      });
      const parsed = parseDeclare(values);
      if (!parsed.success) return again(errorsOf(parsed.error));
      const service = await cmdb.getService(parsed.data.serviceId).catch((err: unknown) => {
        // The CMDB refusing the id itself is the person's to correct, not an outage.
        if (isIntegrationError(err) && !err.retryable) return null;
        request.log.warn({ err }, 'CMDB lookup failed');
        throw new HttpError('unavailable', 'The CMDB is not reachable; try again in a minute');
      });
      if (!service) return again({ serviceId: `There is no service “${parsed.data.serviceId}” in the CMDB` });
      return { refused: null, data: parsed.data, service };
    };

    /**
     * The confirm step: who will be told, before anyone is. The declaration itself is the next
     * POST (/console/incidents), with the same fields as hidden inputs; "Change" goes back to the
     * form with them filled in. No JavaScript needed.
     */
    staff.post('/console/incidents/confirm', { preHandler: csrf }, async (request, reply) => {
      const values = formValues(request.body);
      const checked = await checkDeclare(request, reply, values);
      if (checked.refused) return checked.refused;
      const { data, service } = checked;
      const count = await cmdb.countSubscribers(service.id).catch((err: unknown) => {
        request.log.warn({ err }, 'CMDB subscriber count failed');
        return null;
      });
      const kept = { ...values, serviceId: service.id, submissionId: values.submissionId ?? randomUUID() };
      const hidden = Object.entries(kept).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`);
      const who =
        count === null ? 'every subscriber' : `${count.toLocaleString('en-GB')} subscriber${count === 1 ? '' : 's'}`;
      return renderPage(
        request,
        reply,
        env,
        'Declare an incident?',
        html`<p><a href="/console">← IT console</a></p>
        <h1>Declare an incident on ${service.name}?</h1>
        <p data-subscribers="${count ?? ''}">
          ${
            count === null
              ? html`The CMDB did not say how many people subscribe to ${service.name}: all of them will be told.`
              : html`<strong>${who}</strong> of ${service.name} will be told by email (and by SMS those who asked for
                  it) as soon as you declare.`
          }
        </p>
        <dl>
          <dt>Service</dt>
          <dd>${service.name} (${service.id})</dd>
          <dt>Title</dt>
          <dd>${data.title}</dd>
          <dt>Message to users</dt>
          <dd>${data.message}</dd>
          ${
            data.workaround
              ? html`<dt>Workaround</dt>
                  <dd>${data.workaround}</dd>`
              : null
          }
        </dl>
        <form method="post" action="/console/incidents" data-once>
          ${csrfField(reply)} ${hidden}
          <button type="submit">Declare and notify ${who}</button>
        </form>
        <form method="get" action="/console">
          ${hidden}
          <button type="submit" class="secondary">Change something</button>
        </form>`,
      );
    });

    staff.get('/console', async (request, reply) => {
      const query = (request.query ?? {}) as Record<string, unknown>;
      const find = typeof query.find === 'string' ? query.find.trim().slice(0, 100) : '';
      return renderPage(request, reply, env, 'IT console', await consoleHome(reply, {}, formValues(query), find));
    });

    staff.post('/console/incidents', { preHandler: csrf }, async (request, reply) => {
      const session = sessionOf(request);
      const values = (request.body ?? {}) as Record<string, unknown>;
      const checked = await checkDeclare(request, reply, values);
      if (checked.refused) return checked.refused;
      const { data, service } = checked;
      const declared = await journeys.declareIncident({
        serviceId: service.id,
        title: data.title,
        message: data.message,
        workaround: data.workaround
          ? {
              text: data.workaround,
              links: {
                ...(data.iosLink ? { ios: data.iosLink } : {}),
                ...(data.androidLink ? { android: data.androidLink } : {}),
              },
            }
          : null,
        declaredBy: session.accountName,
        incidentKey: data.submissionId ? `portal:${session.accountName}:${data.submissionId}` : null,
      });
      return reply.redirect(`/console/incidents/${encodeURIComponent(declared.id)}`, 303);
    });

    const incidentPage = (reply: FastifyReply, i: IncidentView, errors: Errors, values: Record<string, unknown>) =>
      html`<p><a href="/console">← IT console</a></p>
<h1>${i.serviceName}: ${i.title}</h1>
<p>Status: <strong id="incident-status">${i.status}</strong>${i.phase > 1 ? html` (phase ${i.phase}: reopened)` : null} · declared ${timeTag(i.declaredAt)}${i.declaredBy ? ` by ${i.declaredBy}` : ''} · ${uiLink(i)}</p>
<p>${i.message}</p>${i.workaround ? html`<p><strong>Workaround:</strong> ${i.workaround}</p>` : null}
<div data-live="/console/incidents/${i.id}/live" data-live-every="2000">${incidentLive(i)}</div>
${
  i.running && i.status === 'open'
    ? html`<h2 id="progress-heading">Post progress</h2>
<form method="post" action="/console/incidents/${i.id}/progress" aria-labelledby="progress-heading" data-once>${csrfField(reply)}
${textField('text', 'Update for the banner', errors, values, { area: true })}
<div><input type="checkbox" id="f-notify" name="notifyAffected" value="yes"><label for="f-notify" class="inline">Also email the affected users</label></div>
<button type="submit">Post update</button></form>
<h2 id="resolve-heading">Resolve</h2>
<form method="post" action="/console/incidents/${i.id}/resolve" aria-labelledby="resolve-heading" data-once>${csrfField(reply)}
${textField('note', 'What was fixed', errors, values, { area: true, hint: 'Subscribers are emailed that the service is back; affected users get confirmation links' })}
<button type="submit">Resolve and tell everyone</button></form>`
    : null
}`;

    staff.get<{ Params: { id: string } }>('/console/incidents/:id', async (request, reply) => {
      const incident = await journeys.incident(request.params.id);
      if (!incident)
        return renderPage(
          request,
          reply,
          env,
          'Not found',
          html`<h1>No such incident</h1><p><a href="/console">IT console</a></p>`,
          404,
        );
      return renderPage(request, reply, env, `Incident ${incident.id}`, incidentPage(reply, incident, {}, {}));
    });

    const act = async (
      request: FastifyRequest<{ Params: { id: string } }>,
      reply: FastifyReply,
      schema: z.ZodType<Record<string, unknown>>,
      run: (incident: IncidentView, data: Record<string, unknown>, by: string) => Promise<void>,
    ) => {
      const session = sessionOf(request);
      const incident = await journeys.incident(request.params.id);
      if (!incident) return renderPage(request, reply, env, 'Not found', html`<h1>No such incident</h1>`, 404);
      const values = (request.body ?? {}) as Record<string, unknown>;
      const parsed = schema.safeParse(values);
      if (!parsed.success)
        return renderPage(
          request,
          reply,
          env,
          'Please check',
          incidentPage(reply, incident, errorsOf(parsed.error), values),
          400,
        );
      try {
        await run(incident, parsed.data, session.accountName);
      } catch (err) {
        if (err instanceof HttpError && err.code === 'conflict') {
          const fresh = (await journeys.incident(incident.id)) ?? incident;
          return renderPage(
            request,
            reply,
            env,
            'Not possible now',
            html`<div class="alert" role="alert">${err.message}</div>${incidentPage(reply, fresh, {}, {})}`,
            409,
          );
        }
        throw err;
      }
      return reply.redirect(`/console/incidents/${encodeURIComponent(incident.id)}`, 303);
    };

    staff.post<{ Params: { id: string } }>('/console/tasks/:id', { preHandler: csrf }, async (request, reply) => {
      const session = sessionOf(request);
      const parsedNote = taskNote.safeParse((request.body as Record<string, unknown> | undefined)?.note);
      if (!parsedNote.success) {
        return renderPage(
          request,
          reply,
          env,
          'Not done',
          html`<div class="alert" role="alert">${parsedNote.error.issues[0]?.message ?? 'Check the note'}</div><p><a href="/console">Back to the IT console</a></p>`,
          400,
        );
      }
      const note = parsedNote.data ?? '';
      try {
        await journeys.markDelivered(request.params.id, session.accountName, note === '' ? null : note);
      } catch (err) {
        if (err instanceof HttpError && err.statusCode < 500) {
          return renderPage(
            request,
            reply,
            env,
            'Not done',
            html`<div class="alert" role="alert">${err.message}</div><p><a href="/console">Back to the IT console</a></p>`,
            err.statusCode,
          );
        }
        throw err;
      }
      return reply.redirect('/console', 303);
    });

    staff.post<{ Params: { id: string } }>('/console/incidents/:id/progress', { preHandler: csrf }, (request, reply) =>
      act(request, reply, progressBody, (i, d, by) =>
        journeys.postProgress(i.id, { text: String(d.text), notifyAffected: Boolean(d.notifyAffected), by }),
      ),
    );
    staff.post<{ Params: { id: string } }>('/console/incidents/:id/resolve', { preHandler: csrf }, (request, reply) =>
      act(request, reply, resolveBody, (i, d, by) => journeys.resolveIncident(i.id, { note: String(d.note), by })),
    );
  });

  // The counts the incident page refreshes itself with.
  routeGroup(app, hasRoleFetch('it-staff'), (fetches) => {
    fetches.get<{ Params: { id: string } }>('/console/incidents/:id/live', async (request, reply) => {
      const incident = await journeys.incident(request.params.id);
      if (!incident) return reply.code(404).send('');
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(incidentLive(incident).value);
    });
  });
}

/** Counts, updates and the follow-up list: the part of the console page that refreshes itself. */
export function incidentLive(i: IncidentView): SafeHtml {
  return html`${countsTable(i)}
${i.updates.length > 0 ? html`<h2>Updates</h2><ol class="timeline">${i.updates.map((u) => html`<li>${timeTag(u.at)}: ${u.text}</li>`)}</ol>` : null}
${i.resolvedAt ? html`<p>Resolved ${timeTag(i.resolvedAt)}${i.resolutionNote ? `: ${i.resolutionNote}` : ''}</p>` : null}
<h2>Follow-up list</h2>
${
  i.followUp.length === 0
    ? html`<p class="muted">Nobody to follow up${i.status === 'open' ? ' yet' : ''}.</p>`
    : html`<table id="follow-up"><thead><tr><th scope="col">Person</th><th scope="col">Why</th></tr></thead><tbody>${i.followUp.map(
        (f) => html`<tr><td>${f.accountName}</td><td>${f.reason}</td></tr>`,
      )}</tbody></table>`
}
${i.running ? null : html`<span data-final hidden></span>`}`;
}
