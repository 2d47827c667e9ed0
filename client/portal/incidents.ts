/**
 * The incident pages people reach from the banner and from the resolution email:
 * "This affects me" (and the workaround by SMS), the "fixed" / "still broken" confirmation and
 * the NPS question. Confirmation links carry a signed, expiring token bound to the incident and
 * the person, so nobody can answer for someone else; a sign-in is not needed to answer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { html, timeTag, type SafeHtml } from '../web/html';
import type { MarkAffectedResult } from '../journeys/gateway';
import { orAfter } from '../journeys/temporal-reads';
import { asSentence, textProblem } from '../web/text';
import type { IncidentView } from '../journeys/views';
import { csrfCheck, csrfField, renderPage, routeGroup, sessionOf, signedIn } from './context';
import type { PortalDeps } from './deps';
import { maskPhone } from '../../config/mask';

const incidentIdParam = z.string().regex(/^[A-Za-z0-9_.:-]{1,120}$/);
const tokenField = z.string().min(10).max(2048);
const scoreField = z.coerce
  .number({ error: 'Choose a number from 0 to 10' })
  .int('Choose a whole number from 0 to 10')
  .min(0, 'Choose a number from 0 to 10')
  .max(10, 'Choose a number from 0 to 10');
const commentField = z
  .string({ error: 'Write the comment as text' })
  .trim()
  .max(500, 'Keep the comment under 500 characters')
  .superRefine((value, ctx) => {
    const problem = textProblem(value, { multiline: true });
    if (problem) ctx.addIssue({ code: 'custom', message: asSentence(problem) });
  });
const confirmBody = z.object({
  token: tokenField,
  answer: z.enum(['fixed', 'still-broken'], { error: 'Choose “fixed” or “still broken”' }),
  score: scoreField.optional(),
  comment: commentField.optional(),
});
const npsBody = z.object({
  token: tokenField,
  score: scoreField,
  comment: commentField.optional(),
});

/** Form posts send empty strings for untouched optional fields. */
function blanksRemoved(body: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body ?? {}).filter(([, v]) => !(typeof v === 'string' && v.trim() === '')));
}

/** "This affects me", the workaround SMS, and the confirmation and NPS pages. */
export function registerIncidentPages(app: FastifyInstance, deps: PortalDeps): void {
  const csrf = csrfCheck(app);
  const { env, journeys, cmdb } = deps;

  const notFound = (request: FastifyRequest, reply: FastifyReply) =>
    renderPage(
      request,
      reply,
      env,
      'Not found',
      html`<h1>No such incident</h1><p><a href="/">Go to the home page</a></p>`,
      404,
    );

  const closedPage = (request: FastifyRequest, reply: FastifyReply, incident: IncidentView | null) =>
    renderPage(
      request,
      reply,
      env,
      'This incident is closed',
      html`<h1>This incident is already closed</h1>
<p>${incident ? html`The incident “${incident.title}” on ${incident.serviceName} was closed${incident.resolvedAt ? html` after it was resolved on ${timeTag(incident.resolvedAt)}` : null}. ` : null}Your answer was not needed any more, but thank you for taking the time.</p>
<p>If something still does not work, <a href="/">tell us from the portal</a> or call the Service Desk.</p>`,
      410,
    );

  const forbiddenLink = (request: FastifyRequest, reply: FastifyReply, reason: 'expired' | 'invalid') =>
    renderPage(
      request,
      reply,
      env,
      'Link not valid',
      html`<h1>This link is not valid</h1>
<p>${reason === 'expired' ? 'The link has expired.' : 'The link is not one we sent, or it was changed on the way.'} Links in our emails only work for the person they were sent to.</p>
<p>If the service still does not work for you, <a href="/">tell us from the portal</a>.</p>`,
      403,
    );

  // --- "This affects me" -----------------------------------------------------------------
  const workaroundOffer = async (
    reply: FastifyReply,
    incident: IncidentView,
    accountName: string,
  ): Promise<SafeHtml | null> => {
    if (!incident.workaround) return null;
    if (!incident.workaroundHasLinks) return html`<p><strong>Meanwhile:</strong> ${incident.workaround}</p>`;
    const devices = await orAfter(1500, cmdb.devicesOf(accountName), []);
    const phone = devices.value[0]?.phone;
    if (!phone) return html`<p><strong>Meanwhile:</strong> ${incident.workaround}</p>`;
    return html`<section aria-labelledby="wa-heading"><h2 id="wa-heading">Work around it</h2><p>${incident.workaround}</p>
<form method="post" action="/incidents/${incident.id}/workaround" data-once>${csrfField(reply)}
<button type="submit">Text me the download link (to ${maskPhone(phone)})</button></form></section>`;
  };

  /** Pages for the outcomes every click can have besides "recorded". */
  const notRecorded = (
    request: FastifyRequest,
    reply: FastifyReply,
    result: Exclude<MarkAffectedResult, { status: 'recorded' }>,
  ) => {
    if (result.status === 'not-found') return notFound(request, reply);
    if (result.status === 'closed') return closedPage(request, reply, result.incident);
    if (result.status === 'resolved') {
      return renderPage(
        request,
        reply,
        env,
        'Already resolved',
        html`<h1>IT have already resolved this</h1><p>“${result.incident.title}” on ${result.incident.serviceName} was resolved${result.incident.resolvedAt ? html` on ${timeTag(result.incident.resolvedAt)}` : null}. If it still does not work for you, use the link in the email we sent you, or call the Service Desk.</p><p><a href="/">Back to the home page</a></p>`,
        409,
      );
    }
    return renderPage(
      request,
      reply,
      env,
      'Please call us',
      html`<h1>We could not add you to the list</h1><p>Too many people are affected for the list to take more right now. Please call the Service Desk so we know it affects you.</p>`,
      503,
    );
  };

  routeGroup(app, signedIn(env), (pages) => {
    pages.post<{ Params: { id: string } }>('/incidents/:id/affected', { preHandler: csrf }, async (request, reply) => {
      const session = sessionOf(request);
      const id = incidentIdParam.safeParse(request.params.id);
      if (!id.success) return notFound(request, reply);
      const result = await journeys.markAffected(id.data, { accountName: session.accountName, workaroundSms: false });
      if (result.status !== 'recorded') return notRecorded(request, reply, result);
      const incident = result.incident;
      return renderPage(
        request,
        reply,
        env,
        'Thank you',
        html`<h1>Thank you, IT now know this affects you</h1>
<p class="notice" role="status">${result.alreadyRecorded ? 'You were already on' : 'You are now on'} the list of people affected by “${incident.title}” on ${incident.serviceName}. We will email you as soon as it is fixed.</p>
${await workaroundOffer(reply, incident, session.accountName)}
<p><a href="/">Back to the home page</a></p>`,
      );
    });

    pages.post<{ Params: { id: string } }>(
      '/incidents/:id/workaround',
      { preHandler: csrf },
      async (request, reply) => {
        const session = sessionOf(request);
        const id = incidentIdParam.safeParse(request.params.id);
        if (!id.success) return notFound(request, reply);
        const result = await journeys.markAffected(id.data, { accountName: session.accountName, workaroundSms: true });
        if (result.status !== 'recorded') return notRecorded(request, reply, result);
        const sms = result.sms;
        const words =
          sms?.status === 'sent'
            ? html`<p class="notice" role="status">${sms.alreadySent ? 'We already texted you the link' : 'We have texted you the link'} to ${sms.to}. Tap it on your phone to install the app.</p>`
            : sms?.status === 'no-device'
              ? html`<p class="alert" role="alert">We have no phone registered for you, so we cannot text you the link. The Service Desk can register it.</p>`
              : sms?.status === 'no-link-for-device'
                ? html`<p class="alert" role="alert">There is no download link for your phone's system (${sms.os}).</p>`
                : sms?.status === 'failed'
                  ? html`<p class="alert" role="alert">The text message could not be sent: ${sms.message}</p>`
                  : html`<p>There is no workaround to send for this incident.</p>`;
        return renderPage(
          request,
          reply,
          env,
          'Workaround',
          html`<h1>Work around it</h1>${words}<p><a href="/">Back to the home page</a></p>`,
        );
      },
    );
  });

  // --- confirmation and NPS (from the resolution email) --------------------------------------
  // Anyone with the link: its signed token says who answers, so these need no session.
  const confirmForm = (
    reply: FastifyReply,
    incident: IncidentView,
    token: string,
    preselect: string | null,
    error: string | null,
    errors: Record<string, string> = {},
  ) =>
    html`<h1>Is ${incident.serviceName} working for you again?</h1>
<p>IT resolved “${incident.title}”${incident.resolvedAt ? html` on ${timeTag(incident.resolvedAt)}` : null}.${incident.resolutionNote ? html` ${incident.resolutionNote}` : null}</p>
${error ? html`<div class="alert" role="alert">${error}</div>` : null}
<form method="post" action="/incidents/${incident.id}/confirm" data-once>${csrfField(reply)}<input type="hidden" name="token" value="${token}">
<fieldset><legend>Please tell us</legend>
<input type="radio" id="answer-fixed" name="answer" value="fixed" required${preselect === 'fixed' ? html` checked` : null}><label for="answer-fixed">Yes, it is fixed</label>
<input type="radio" id="answer-broken" name="answer" value="still-broken"${preselect === 'still-broken' ? html` checked` : null}><label for="answer-broken">No, it is still broken</label>
</fieldset>
${npsFields(errors)}
<button type="submit">Send</button></form>`;

  /**
   * The NPS question rides with the "fixed" answer: the answer that settles the last affected
   * person closes the incident, and a closed incident takes no more answers.
   */
  const npsFields = (errors: Record<string, string>) =>
    html`<fieldset aria-describedby="score-hint score-error"><legend>If it is fixed: on a scale of 0 to 10, how satisfied are you with the support IT provided?</legend>
${Array.from({ length: 11 }, (_, n) => html`<input type="radio" id="score-${n}" name="score" value="${n}"><label for="score-${n}">${n}</label>`)}
<div><span class="muted" id="score-hint">0 = not at all, 10 = extremely (optional)</span></div><span class="error" id="score-error">${errors.score ?? ''}</span></fieldset>
<label for="comment">Anything you want to tell us? (optional)</label>
<textarea id="comment" name="comment" rows="3" maxlength="500" aria-describedby="comment-error"></textarea><span class="error" id="comment-error">${errors.comment ?? ''}</span>`;

  const npsForm = (reply: FastifyReply, incident: IncidentView, token: string, errors: Record<string, string>) =>
    html`<h1>Thank you for confirming</h1><p class="notice" role="status">Glad ${incident.serviceName} is working again. You are off the list of affected people.</p>
<form method="post" action="/incidents/${incident.id}/nps" data-once>${csrfField(reply)}<input type="hidden" name="token" value="${token}">
${npsFields(errors)}
<div><button type="submit">Send</button></div></form>`;

  /** Checks the link; answers the page itself (403 / 404 / 410) and returns null when it cannot go on. */
  const withLink = async (request: FastifyRequest, reply: FastifyReply, rawId: string, token: unknown) => {
    const id = incidentIdParam.safeParse(rawId);
    const t = tokenField.safeParse(token);
    if (!id.success) {
      notFound(request, reply);
      return null;
    }
    if (!t.success) {
      forbiddenLink(request, reply, 'invalid');
      return null;
    }
    const link = journeys.verifyConfirmationLink(t.data, id.data);
    if (!link.ok) {
      request.log.info({ incident: id.data, reason: link.reason }, 'confirmation link refused');
      forbiddenLink(request, reply, link.reason);
      return null;
    }
    const incident = await journeys.incident(id.data);
    if (!incident) {
      notFound(request, reply);
      return null;
    }
    return { incident, accountName: link.accountName, token: t.data };
  };

  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(
    '/incidents/:id/confirm',
    { logLevel: 'warn' },
    async (request, reply) => {
      const ctx = await withLink(request, reply, request.params.id, request.query.token);
      if (!ctx) return reply;
      if (!ctx.incident.running || ctx.incident.status === 'closed') return closedPage(request, reply, ctx.incident);
      if (ctx.incident.status === 'open') {
        return renderPage(
          request,
          reply,
          env,
          'Still being worked on',
          html`<h1>IT are working on this again</h1><p>“${ctx.incident.title}” on ${ctx.incident.serviceName} was re-opened. We will email you a new link when it is resolved.</p><p><a href="/">Go to the portal</a></p>`,
        );
      }
      const answer =
        request.query.answer === 'fixed' || request.query.answer === 'still-broken' ? request.query.answer : null;
      return renderPage(
        request,
        reply,
        env,
        'Is it working?',
        confirmForm(reply, ctx.incident, ctx.token, answer, null),
      );
    },
  );

  app.post<{ Params: { id: string } }>(
    '/incidents/:id/confirm',
    { preHandler: csrf, logLevel: 'warn' },
    async (request, reply) => {
      const body = request.body as Record<string, unknown> | undefined;
      const ctx = await withLink(request, reply, request.params.id, body?.token);
      if (!ctx) return reply;
      const parsed = confirmBody.safeParse(blanksRemoved(body));
      if (!parsed.success) {
        const errors: Record<string, string> = {};
        for (const i of parsed.error.issues) errors[String(i.path[0])] ??= i.message;
        const preselect = body?.answer === 'fixed' || body?.answer === 'still-broken' ? body.answer : null;
        return renderPage(
          request,
          reply,
          env,
          'Please check',
          confirmForm(reply, ctx.incident, ctx.token, preselect, errors.answer ?? 'Please check your answers', errors),
          400,
        );
      }
      const d = parsed.data;
      const withScore = d.answer === 'fixed' && d.score !== undefined;
      const result = await journeys.confirm(ctx.incident.id, {
        accountName: ctx.accountName,
        answer: d.answer,
        ...(withScore ? { score: d.score, ...(d.comment ? { comment: d.comment } : {}) } : {}),
      });
      if (result.status === 'not-found') return notFound(request, reply);
      if (result.status === 'closed') return closedPage(request, reply, ctx.incident);
      if (result.status === 'not-affected' || result.status === 'not-resolved') {
        return renderPage(
          request,
          reply,
          env,
          'Not needed',
          html`<h1>Thank you</h1><p>${result.status === 'not-affected' ? 'You are not on the list of people affected by this incident, so there is nothing to confirm.' : 'IT are working on this incident again; we will email you when it is resolved.'}</p><p><a href="/">Go to the portal</a></p>`,
          409,
        );
      }
      if (parsed.data.answer === 'still-broken') {
        return renderPage(
          request,
          reply,
          env,
          'Sorry',
          html`<h1>Sorry it still does not work</h1><p class="notice" role="status">Thank you for telling us. The Service Desk has you on its follow-up list and will contact you.</p><p><a href="/">Back to the home page</a></p>`,
        );
      }
      if (withScore) return npsThanks(request, reply, d.score!);
      return renderPage(request, reply, env, 'Thank you', npsForm(reply, ctx.incident, ctx.token, {}));
    },
  );

  const npsThanks = (request: FastifyRequest, reply: FastifyReply, score: number) =>
    renderPage(
      request,
      reply,
      env,
      'Thank you',
      html`<h1>Thank you for your feedback</h1><p class="notice" role="status">Glad it works again. You gave IT ${score} out of 10. We read every answer.</p><p><a href="/">Go to the portal</a></p>`,
    );

  app.post<{ Params: { id: string } }>(
    '/incidents/:id/nps',
    { preHandler: csrf, logLevel: 'warn' },
    async (request, reply) => {
      const body = request.body as Record<string, unknown> | undefined;
      const ctx = await withLink(request, reply, request.params.id, body?.token);
      if (!ctx) return reply;
      const parsed = npsBody.safeParse(blanksRemoved(body));
      if (!parsed.success) {
        const errors: Record<string, string> = {};
        for (const i of parsed.error.issues) errors[String(i.path[0])] ??= i.message;
        return renderPage(request, reply, env, 'Please check', npsForm(reply, ctx.incident, ctx.token, errors), 400);
      }
      const result = await journeys.recordNps(ctx.incident.id, {
        accountName: ctx.accountName,
        score: parsed.data.score,
        comment: parsed.data.comment ?? null,
      });
      if (result.status === 'not-found') return notFound(request, reply);
      if (result.status === 'closed') {
        // Their own "fixed" may have been the answer that closed the incident: thank them all the same.
        return renderPage(
          request,
          reply,
          env,
          'Thank you',
          html`<h1>Thank you</h1><p>The incident has closed since you confirmed, so the survey for it has closed too. Thank you for taking the time.</p><p><a href="/">Go to the portal</a></p>`,
          410,
        );
      }
      if (result.status === 'not-confirmed') {
        return renderPage(
          request,
          reply,
          env,
          'Please confirm first',
          confirmForm(reply, ctx.incident, ctx.token, 'fixed', 'Please tell us first whether it is fixed.'),
          409,
        );
      }
      return npsThanks(request, reply, parsed.data.score);
    },
  );
}
