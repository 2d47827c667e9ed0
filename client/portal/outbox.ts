/**
 * The embedded default's outbox: every email and SMS the journeys "sent", newest first, so a
 * person trying `npm start` sees Steve's phone beep. Demo only: it exists only when the app
 * runs with the embedded stand-ins (there is no outbox in production).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Outbox, OutboxEntry } from '../../integrations/outbox/types';
import { escapeHtml, html, raw, timeTag, type SafeHtml } from '../web/html';
import { renderPage, type PortalEnv } from './context';

const outboxQuery = z.object({
  to: z.string().trim().max(320).optional().catch(undefined),
  channel: z.enum(['email', 'sms']).optional().catch(undefined),
});

/** Escapes the text, then makes its web links clickable (the confirmation and download links). */
function linkify(text: string): SafeHtml {
  const escaped = escapeHtml(text);
  return raw(escaped.replace(/https?:\/\/[^\s<>"']+/g, (url) => `<a href="${url}">${url}</a>`));
}

function entryView(e: OutboxEntry): SafeHtml {
  const who = e.toName ? `${e.toName} <${e.to}>` : e.to;
  if (e.channel === 'sms') {
    return html`<li class="outbox-entry" data-channel="sms"><h2>📱 SMS to ${who}</h2><p class="muted">${timeTag(e.sentAt)}</p><pre>${linkify(e.text)}</pre></li>`;
  }
  return html`<li class="outbox-entry" data-channel="email"><h2>✉️ ${e.subject ?? '(no subject)'}</h2>
<p class="muted">To ${who} · ${timeTag(e.sentAt)}</p><pre>${linkify(e.text)}</pre></li>`;
}

/** `/outbox` and its live fragment (embedded default only). */
export function registerOutboxRoutes(app: FastifyInstance, options: { env: PortalEnv; outbox: Outbox }): void {
  const { outbox, env } = options;

  const list = async (query: unknown): Promise<SafeHtml> => {
    const q = outboxQuery.parse(query ?? {});
    const entries = await outbox.list({
      ...(q.to ? { to: q.to } : {}),
      ...(q.channel ? { channel: q.channel } : {}),
      limit: 100,
    });
    if (entries.length === 0) return html`<p>Nothing has been sent yet.</p>`;
    return html`<p class="muted">${entries.length} message${entries.length === 1 ? '' : 's'} (newest first)</p><ul class="cards">${entries.map(entryView)}</ul>`;
  };

  app.get('/outbox', async (request, reply) => {
    const q = outboxQuery.parse(request.query ?? {});
    const qs = new URLSearchParams({
      ...(q.to ? { to: q.to } : {}),
      ...(q.channel ? { channel: q.channel } : {}),
    }).toString();
    const body = html`<h1>Outbox</h1>
<p>In this demo nothing leaves the machine: the emails and text messages the journeys send are kept here instead. This page updates by itself.</p>
<form method="get" action="/outbox">
<label for="to">Recipient (email address or phone number)</label><input id="to" name="to" value="${q.to ?? ''}">
<label for="channel">Kind</label><select id="channel" name="channel"><option value="">Email and SMS</option>
<option value="email"${q.channel === 'email' ? html` selected` : null}>Email</option><option value="sms"${q.channel === 'sms' ? html` selected` : null}>SMS</option></select>
<button type="submit" class="secondary">Filter</button></form>
<div data-live="/outbox/live${qs ? `?${qs}` : ''}" aria-live="polite">${await list(request.query)}</div>`;
    return renderPage(request, reply, env, 'Outbox', body);
  });

  app.get('/outbox/live', async (request, reply) => {
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send((await list(request.query)).value);
  });
}
