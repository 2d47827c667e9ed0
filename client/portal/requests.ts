/**
 * "My requests" and each request's page: the live stage and what happened when, read from the
 * journey's status query and refreshed by the page script without a reload; the "recorded"
 * page after submitting; the device-correction form; the requester's NPS question once the
 * request has finished; and the approver's page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { feedbackCommentMaxLength } from '../../workflows/fulfilment/definitions';
import { HttpError } from '../errors';
import { asSentence, textProblem } from '../web/text';
import { html, timeTag, type SafeHtml } from '../web/html';
import type { Session } from '../web/session';
import type { RequestList, RequestView } from '../journeys/views';
import { csrfCheck, csrfField, hasRole, renderPage, routeGroup, sessionOf, signedIn, signedInFetch } from './context';
import type { PortalDeps } from './deps';

const requestIdParam = z.string().min(1).max(200);

/** The API's text check (client/web/text.ts), worded for a page. */
const controlCharacters =
  (multiline = false) =>
  (value: string, ctx: z.RefinementCtx) => {
    const problem = textProblem(value, { multiline });
    if (problem) ctx.addIssue({ code: 'custom', message: asSentence(problem) });
  };

const correctionBody = z.object({
  phone: z
    .string({ error: 'Enter the phone number' })
    .trim()
    .min(1, 'Enter the phone number')
    .max(40, 'That is too long for a phone number')
    .superRefine(controlCharacters()),
  os: z
    .enum(['ios', 'android', ''])
    .optional()
    .transform((v) => (v === '' ? undefined : v)),
});

const decisionBody = z
  .object({
    decision: z.enum(['approve', 'reject'], { error: 'Choose approve or reject' }),
    reason: z
      .string({ error: 'Write the reason as text' })
      .trim()
      .max(500, 'Keep the reason under 500 characters')
      .superRefine(controlCharacters(true))
      .optional(),
  })
  .refine((b) => b.decision === 'approve' || (b.reason ?? '').length >= 3, {
    path: ['reason'],
    message: 'Say why (a few words), so the person knows what to do next',
  });

const npsBody = z.object({
  score: z
    .string({ error: 'Choose a number from 0 to 10' })
    .regex(/^(?:10|[0-9])$/, 'Choose a number from 0 to 10')
    .transform(Number),
  comment: z
    .string({ error: 'Write the comment as text' })
    .trim()
    .max(feedbackCommentMaxLength, `Keep the comment under ${feedbackCommentMaxLength} characters`)
    .superRefine(controlCharacters(true))
    .optional(),
});

function stageClass(state: string): string {
  return state === 'done' ? 'stage done' : state === 'failed' ? 'stage failed' : 'stage';
}

function stateWords(state: string): string {
  return state === 'done'
    ? 'done'
    : state === 'current'
      ? 'in progress'
      : state === 'failed'
        ? 'did not work'
        : state === 'pending'
          ? 'not yet'
          : 'not needed';
}

/** The part of a request page that updates by itself. */
export function requestLive(view: RequestView): SafeHtml {
  return html`<p>Status: <strong class="${view.running ? 'stage' : stageClass(view.outcome === 'completed' ? 'done' : 'failed')}" id="stage">${view.stageLabel}</strong>${
    view.running
      ? html` <span class="muted">(this page updates by itself)</span>`
      : html`<span data-final hidden></span>`
  }</p>
${view.complete ? null : html`<p class="muted">Details are on their way; this page will show them shortly.</p>`}
${view.reason ? html`<p>${view.reason}</p>` : null}
${view.delayed && view.running ? html`<p class="notice">This is taking longer than usual. It will carry on by itself; you do not need to do anything.</p>` : null}
${view.waitingFor?.kind === 'approval' ? html`<p>Waiting for ${view.waitingFor.approver} to approve, until ${timeTag(view.waitingFor.until)}.</p>` : null}
${view.waitingFor?.kind === 'manual-task' ? html`<p>With the service desk: ${view.waitingFor.task} (since ${timeTag(view.waitingFor.since)}).</p>` : null}
${
  view.timeline.length > 0
    ? html`<h2>What happened when</h2><ol class="timeline">${view.timeline.map(
        (s) =>
          html`<li data-stage="${s.stage}"><span class="${stageClass(s.state)}">${s.label}</span> — ${stateWords(s.state)}${s.startedAt ? html`, started ${timeTag(s.startedAt)}` : null}${s.endedAt ? html`, finished ${timeTag(s.endedAt)}` : null}</li>`,
      )}</ol>`
    : null
}
${view.told.length > 0 ? html`<h2>What we told you</h2><ul>${view.told.map((t) => html`<li>${timeTag(t.at)} by ${t.channel}: ${t.summary}</li>`)}</ul>` : null}`;
}

function requestCard(view: RequestView): SafeHtml {
  return html`<li data-request="${view.id}"><h2><a href="/requests/${view.id}">${view.serviceTitle}</a></h2>
<p>Status: <strong class="stage">${view.stageLabel}</strong> · asked ${timeTag(view.startedAt)}</p></li>`;
}

function listLive({ requests: views, complete }: RequestList): SafeHtml {
  if (!complete && views.length === 0)
    return html`<p class="muted" role="status">Your requests could not be loaded just now. This page tries again by itself.</p>`;
  if (views.length === 0)
    return html`<p>You have not asked for anything yet. <a href="/catalog">Browse the service catalog</a>.</p>`;
  return html`<ul class="cards">${views.map(requestCard)}</ul>${complete && views.every((v) => !v.running) ? html`<span data-final hidden></span>` : null}`;
}

/** `/requests`, `/requests/:id` (+ live, recorded, device correction) and `/approvals`. */
export function registerRequestPages(app: FastifyInstance, deps: PortalDeps): void {
  const csrf = csrfCheck(app);
  const { env, journeys } = deps;

  /** The request if this person may see it (theirs, or they are IT staff); answers 404 otherwise. */
  const load = async (
    request: FastifyRequest,
    reply: FastifyReply,
    session: Session,
    id: string,
  ): Promise<RequestView | null> => {
    const parsed = requestIdParam.safeParse(id);
    const view = parsed.success ? await journeys.request(parsed.data) : null;
    if (
      !view ||
      (view.requester !== session.accountName &&
        !session.roles.includes('it-staff') &&
        !session.roles.includes('approver'))
    ) {
      renderPage(
        request,
        reply,
        env,
        'Not found',
        html`<h1>No such request</h1><p><a href="/requests">See your requests</a></p>`,
        404,
      );
      return null;
    }
    return view;
  };

  const correctionForm = (
    reply: FastifyReply,
    view: RequestView,
    error: string | null,
    value: string,
  ): SafeHtml | null => {
    if (view.waitingFor?.kind !== 'device-correction') return null;
    return html`<section class="banner" aria-labelledby="fix-heading"><h2 id="fix-heading">Please check your phone number</h2>
<p>${view.waitingFor.reason}</p>
<p>We will wait until ${timeTag(view.waitingFor.until)}.</p>
<form method="post" action="/requests/${view.id}/device" data-once>${csrfField(reply)}
<label for="f-phone">Mobile phone number<span class="hint" id="phone-hint">The number of the phone registered to you, e.g. +44 7700 900123</span></label>
<input id="f-phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" required aria-describedby="phone-hint phone-error" value="${value}"${error ? html` aria-invalid="true"` : null}>
<span class="error" id="phone-error" aria-live="polite">${error ?? ''}</span>
<fieldset><legend>What kind of phone is it?</legend>
<input type="radio" id="os-keep" name="os" value="" checked><label for="os-keep">As I said before</label>
<input type="radio" id="os-ios" name="os" value="ios"><label for="os-ios">iPhone (iOS)</label>
<input type="radio" id="os-android" name="os" value="android"><label for="os-android">Android</label></fieldset>
<div><button type="submit">Use this number</button></div></form></section>`;
  };

  /** Only the requester, only once the request ended with an outcome (the gateway checks the same). */
  const mayRate = (view: RequestView, session: Session): boolean =>
    !view.running && view.outcome !== null && view.requester === session.accountName;

  const npsForm = (reply: FastifyReply, view: RequestView, error: string | null): SafeHtml =>
    html`<section aria-labelledby="nps-heading"><h2 id="nps-heading">Tell us how it went</h2>
<form method="post" action="/requests/${view.id}/nps" data-once>${csrfField(reply)}
<fieldset aria-describedby="nps-hint nps-error"${error ? html` aria-invalid="true"` : null}><legend>How satisfied are you with how we handled this? 0–10</legend>
<span class="hint" id="nps-hint">0 means not at all satisfied, 10 means extremely satisfied. You can answer again to change your score.</span>
${Array.from({ length: 11 }, (_, n) => html`<input type="radio" id="nps-${n}" name="score" value="${n}" required><label for="nps-${n}">${n === 0 ? '0 (not at all)' : n === 10 ? '10 (extremely)' : String(n)}</label>`)}
</fieldset>
<span class="error" id="nps-error" aria-live="polite">${error ?? ''}</span>
<label for="nps-comment">Anything you would like to add? (optional)</label>
<textarea id="nps-comment" name="comment" rows="3" maxlength="${feedbackCommentMaxLength}"></textarea>
<div><button type="submit">Send my answer</button></div></form></section>`;

  const requestPage = (
    reply: FastifyReply,
    view: RequestView,
    correction: { error: string | null; value: string } | null,
    heading?: SafeHtml,
    rating?: { session: Session; error: string | null },
  ) =>
    html`<p><a href="/requests">← My requests</a></p>${heading ?? html`<h1>${view.serviceTitle}</h1>`}
<p class="muted">Request ${view.id} · asked ${timeTag(view.startedAt)}</p>
${correctionForm(reply, view, correction?.error ?? null, correction?.value ?? '')}
<div data-live="/requests/${view.id}/live" data-live-every="1500">${requestLive(view)}</div>
${rating && mayRate(view, rating.session) ? npsForm(reply, view, rating.error) : null}`;

  routeGroup(app, signedIn(env), (pages) => {
    pages.get('/requests', async (request, reply) => {
      const session = sessionOf(request);
      const list = await journeys.requestsOf(session.accountName);
      return renderPage(
        request,
        reply,
        env,
        'My requests',
        html`<h1>My requests</h1><div data-live="/requests/live" data-live-every="3000">${listLive(list)}</div>`,
      );
    });

    pages.get<{ Params: { id: string } }>('/requests/:id', async (request, reply) => {
      const session = sessionOf(request);
      const view = await load(request, reply, session, request.params.id);
      if (!view) return reply;
      return renderPage(
        request,
        reply,
        env,
        `${view.serviceTitle} request`,
        requestPage(reply, view, null, undefined, { session, error: null }),
      );
    });

    pages.get<{ Params: { id: string } }>('/requests/:id/recorded', async (request, reply) => {
      const session = sessionOf(request);
      const view = await load(request, reply, session, request.params.id);
      if (!view) return reply;
      const heading = html`<h1>Your request has been recorded</h1>
<div class="notice" role="status"><p>Thank you, ${session.displayName}. Your request for ${view.serviceTitle} is recorded and already being processed. We will email you at each step.</p>
<p><a href="/catalog/${view.serviceId}/guide">Read the ${view.serviceTitle} quick-start guide</a> · <a href="/requests/${view.id}">Follow this request</a></p></div>`;
      return renderPage(request, reply, env, 'Request recorded', requestPage(reply, view, null, heading));
    });

    pages.post<{ Params: { id: string } }>('/requests/:id/device', { preHandler: csrf }, async (request, reply) => {
      const session = sessionOf(request);
      const view = await load(request, reply, session, request.params.id);
      if (!view) return reply;
      const body = correctionBody.safeParse(request.body ?? {});
      const value =
        typeof (request.body as Record<string, unknown> | undefined)?.phone === 'string'
          ? String((request.body as Record<string, unknown>).phone)
          : '';
      if (view.requester !== session.accountName) {
        return renderPage(
          request,
          reply,
          env,
          'Not allowed',
          html`<h1>Only ${view.requester} can change this number</h1>`,
          403,
        );
      }
      if (!body.success) {
        return renderPage(
          request,
          reply,
          env,
          'Please check',
          requestPage(reply, view, { error: body.error.issues[0]?.message ?? 'Check the number', value }),
          400,
        );
      }
      if (view.waitingFor?.kind !== 'device-correction') {
        return renderPage(
          request,
          reply,
          env,
          'Already moving',
          html`<h1>This request is no longer waiting for a number</h1><p><a href="/requests/${view.id}">See where it is</a></p>`,
          409,
        );
      }
      try {
        await journeys.correctDevice(view.id, session.accountName, body.data.phone, body.data.os ?? null);
      } catch (err) {
        if (err instanceof HttpError && (err.code === 'invalid-request' || err.code === 'conflict')) {
          const fresh = (await journeys.request(view.id)) ?? view;
          return renderPage(
            request,
            reply,
            env,
            'Please check',
            requestPage(reply, fresh, { error: err.message, value }),
            err.statusCode,
          );
        }
        throw err;
      }
      return reply.redirect(`/requests/${encodeURIComponent(view.id)}`, 303);
    });

    pages.post<{ Params: { id: string } }>('/requests/:id/nps', { preHandler: csrf }, async (request, reply) => {
      const session = sessionOf(request);
      const view = await load(request, reply, session, request.params.id);
      if (!view) return reply;
      if (view.requester !== session.accountName) {
        return renderPage(
          request,
          reply,
          env,
          'Not allowed',
          html`<h1>Only ${view.requester} can rate this request</h1>`,
          403,
        );
      }
      if (!mayRate(view, session)) {
        return renderPage(
          request,
          reply,
          env,
          'Not finished yet',
          html`<h1>This request is not finished yet</h1><p>You can tell us how it went once it is done. <a href="/requests/${view.id}">See where it is</a></p>`,
          409,
        );
      }
      const body = npsBody.safeParse(request.body ?? {});
      if (!body.success) {
        const error = body.error.issues[0]?.message ?? 'Choose a number from 0 to 10';
        return renderPage(
          request,
          reply,
          env,
          'Please check',
          requestPage(reply, view, null, undefined, { session, error }),
          400,
        );
      }
      try {
        await journeys.rateRequest(view.id, session.accountName, {
          score: body.data.score,
          comment: body.data.comment ?? null,
        });
      } catch (err) {
        if (
          err instanceof HttpError &&
          (err.code === 'invalid-request' || err.code === 'conflict' || err.code === 'forbidden')
        ) {
          return renderPage(
            request,
            reply,
            env,
            'Answer not recorded',
            html`<h1>Answer not recorded</h1><p>${err.message}</p><p><a href="/requests/${view.id}">Back to the request</a></p>`,
            err.statusCode,
          );
        }
        throw err;
      }
      return renderPage(
        request,
        reply,
        env,
        'Thank you',
        html`<h1>Thank you</h1><p class="notice" role="status">Your answer (${body.data.score} out of 10) about your ${view.serviceTitle} request is recorded. It helps us make the next request better.</p>
<p><a href="/requests/${view.id}">Back to the request</a> · <a href="/requests">My requests</a></p>`,
      );
    });
  });

  // What the request pages refresh themselves with.
  routeGroup(app, signedInFetch(), (fetches) => {
    fetches.get('/requests/live', async (request, reply) => {
      const session = sessionOf(request);
      const list = await journeys.requestsOf(session.accountName);
      // A list that could not be read keeps what the page shows (the script ignores a non-2xx).
      if (!list.complete) return reply.code(503).header('cache-control', 'no-store').send('');
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(listLive(list).value);
    });

    fetches.get<{ Params: { id: string } }>('/requests/:id/live', async (request, reply) => {
      const session = sessionOf(request);
      const view = await journeys.request(request.params.id);
      if (
        !view ||
        (view.requester !== session.accountName &&
          !session.roles.includes('it-staff') &&
          !session.roles.includes('approver'))
      ) {
        return reply.code(404).send('');
      }
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(requestLive(view).value);
    });
  });

  // --- approvals -------------------------------------------------------------------------
  routeGroup(app, hasRole(env, 'approver', 'Approvals are for managers.'), (approvers) => {
    const approvalsPage = (
      reply: FastifyReply,
      { requests: views, complete }: RequestList,
      errors: Record<string, string>,
    ) =>
      html`<h1>Requests waiting for your approval</h1>
${complete ? null : html`<p class="muted" role="status">Some requests could not be loaded just now; reload the page in a moment.</p>`}
${complete && views.length === 0 ? html`<p>Nothing is waiting for you.</p>` : null}
<ul class="cards">${views.map(
        (v) => html`<li data-request="${v.id}"><h2>${v.serviceTitle} for ${v.requester}</h2>
<p>Asked ${timeTag(v.startedAt)}${v.waitingFor?.kind === 'approval' && v.waitingFor.until ? html`; decide before ${timeTag(v.waitingFor.until)} or it is declined automatically` : null}. <a href="/requests/${v.id}">Details</a></p>
<form method="post" action="/approvals/${v.id}" data-once>${csrfField(reply)}
<fieldset><legend>Your decision</legend>
<input type="radio" id="approve-${v.id}" name="decision" value="approve" required><label for="approve-${v.id}">Approve</label>
<input type="radio" id="reject-${v.id}" name="decision" value="reject"><label for="reject-${v.id}">Decline</label></fieldset>
<label for="reason-${v.id}">Reason (needed when you decline)</label>
<textarea id="reason-${v.id}" name="reason" rows="2" aria-describedby="reason-${v.id}-error"></textarea>
<span class="error" id="reason-${v.id}-error">${errors[v.id] ?? ''}</span>
<div><button type="submit">Send decision</button></div></form></li>`,
      )}</ul>`;

    approvers.get('/approvals', async (request, reply) => {
      const session = sessionOf(request);
      const list = await journeys.awaitingApproval(session.accountName);
      return renderPage(request, reply, env, 'Approvals', approvalsPage(reply, list, {}));
    });

    approvers.post<{ Params: { id: string } }>('/approvals/:id', { preHandler: csrf }, async (request, reply) => {
      const session = sessionOf(request);
      const id = request.params.id;
      const body = decisionBody.safeParse(request.body ?? {});
      if (!body.success) {
        const message = body.error.issues[0]?.message ?? 'Check the form';
        const list = await journeys.awaitingApproval(session.accountName);
        // The list may not show this request (a list call that timed out, a stage changing):
        // the person still learns what was wrong with their answer.
        if (!list.requests.some((v) => v.id === id)) {
          return renderPage(
            request,
            reply,
            env,
            'Decision not recorded',
            html`<h1>Decision not recorded</h1><p>${message}</p><p><a href="/approvals">Back to approvals</a></p>`,
            400,
          );
        }
        return renderPage(request, reply, env, 'Approvals', approvalsPage(reply, list, { [id]: message }), 400);
      }
      try {
        await journeys.decide(id, session.accountName, {
          approve: body.data.decision === 'approve',
          reason: body.data.reason ?? null,
        });
      } catch (err) {
        if (
          err instanceof HttpError &&
          (err.code === 'conflict' || err.code === 'invalid-request' || err.code === 'not-found')
        ) {
          return renderPage(
            request,
            reply,
            env,
            'Decision not recorded',
            html`<h1>Decision not recorded</h1><p>${err.message}</p><p><a href="/approvals">Back to approvals</a></p>`,
            err.statusCode,
          );
        }
        throw err;
      }
      return renderPage(
        request,
        reply,
        env,
        'Decision recorded',
        html`<h1>Thank you</h1><p class="notice" role="status">Your decision is recorded and the requester has been told.</p><p><a href="/approvals">Back to approvals</a></p>`,
      );
    });
  });
}
