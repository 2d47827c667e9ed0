/**
 * A real HTTP server speaking the part of Twilio's REST API the SMS adapter uses, with basic
 * auth and Twilio's JSON shapes (errors as `{ code, message, more_info, status }`):
 * - form-encoded `POST /2010-04-01/Accounts/{Sid}/Messages.json`: 201 and the message resource
 *   (`status: queued`, `date_sent: null`, as Twilio answers);
 * - `GET /2010-04-01/Accounts/{Sid}/Messages.json` with the `To`, `From`, `DateSent`,
 *   `DateSent<` and `DateSent>` filters (`DateSent>` is "on or after", a date `YYYY-MM-DD` or a
 *   date-time `YYYY-MM-DDTHH:MM:SSZ`, both UTC), newest first, paged with `PageSize`
 *   (default 50, at most 1000 or the server's `maxPageSize`), `Page` and `PageToken`; the
 *   answer is `{ messages: [...], page, page_size, start, end, uri, first_page_uri,
 *   next_page_uri, previous_page_uri }`. Listed messages are `sent`, with `date_sent` the time
 *   they were accepted (this server hands every message to the "carrier" at once).
 *
 * `onAccepted` runs after a message is stored and before its 201 is written: a test can kill
 * the client there, so the provider has the message and the client never learns its SID.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSms {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  /** Every form field as sent. */
  form: Record<string, string>;
  /** When the server accepted it (Twilio's date_created; also the listed date_sent). */
  dateCreated: Date;
}

/** Called after a message is accepted and before the answer is written; the answer waits for it. */
export type AcceptedHook = (message: ReceivedSms) => void | Promise<void>;

export interface TestTwilioServer {
  /** Give this to the adapter as `apiBaseUrl`. */
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** Messages accepted (201), oldest first. */
  messages: ReceivedSms[];
  /** Every request that reached the server, accepted or not. */
  requestCount(): number;
  waitFor(predicate: (m: ReceivedSms) => boolean, timeoutMs?: number): Promise<ReceivedSms>;
  /** Sending to this E.164 number fails with 21211 (invalid 'To'). */
  markInvalid(number: string): void;
  /** Sending to this number fails with 21610 (recipient replied STOP). */
  markUnsubscribed(number: string): void;
  /** Sending to this number fails with 21614 (not a mobile number). */
  markNotMobile(number: string): void;
  /** The next `times` requests are answered with this status (429 or 5xx) before anything else. */
  failNext(status: 429 | 500 | 502 | 503, times?: number): void;
  /** Sets (or with null clears) the hook run between accepting a message and answering. */
  onAccepted(hook: AcceptedHook | null): void;
  /** The query of every list request (GET Messages.json), oldest first. */
  listRequests: Record<string, string>[];
  stop(): Promise<void>;
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `YYYY-MM-DD` (midnight UTC) or an ISO date-time; null when it is neither. */
function parseDateFilter(value: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?Z)?$/.test(value)) return null;
  const date = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const utcDay = (date: Date): string => date.toISOString().slice(0, 10);

/** Starts the server on 127.0.0.1 and a free port, with a fresh account SID and auth token unless given. */
export async function startTwilioServer(
  options: { accountSid?: string; authToken?: string; maxPageSize?: number } = {},
): Promise<TestTwilioServer> {
  const accountSid = options.accountSid ?? `AC${hex(16)}`;
  const authToken = options.authToken ?? hex(16);
  const messages: ReceivedSms[] = [];
  const waiters = new Set<() => void>();
  const invalid = new Set<string>();
  const unsubscribed = new Set<string>();
  const notMobile = new Set<string>();
  const failures: number[] = [];
  const listRequests: Record<string, string>[] = [];
  const maxPageSize = Math.min(options.maxPageSize ?? 1000, 1000);
  let acceptedHook: AcceptedHook | null = null;
  let requests = 0;

  const resource = (m: ReceivedSms, status: 'queued' | 'accepted' | 'sent') => {
    const created = rfc2822(m.dateCreated);
    const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${m.sid}.json`;
    return {
      account_sid: accountSid,
      api_version: '2010-04-01',
      body: m.body,
      date_created: created,
      date_sent: status === 'sent' ? created : null,
      date_updated: created,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: m.from,
      messaging_service_sid: m.messagingServiceSid,
      num_media: '0',
      num_segments: String(Math.max(1, Math.ceil(m.body.length / 153))),
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status,
      subresource_uris: { media: uri.replace('.json', '/Media.json') },
      to: m.to,
      uri,
    };
  };

  /** GET Messages.json: Twilio's list resource (see the top of this file). */
  const list = (res: ServerResponse, path: string, query: URLSearchParams): void => {
    listRequests.push(Object.fromEntries(query));
    const filters: ((m: ReceivedSms) => boolean)[] = [];
    const to = query.get('To');
    const from = query.get('From');
    if (to !== null) filters.push((m) => m.to === to);
    if (from !== null) filters.push((m) => m.from === from);
    for (const [name, keep] of [
      [
        'DateSent',
        (sent: Date, d: Date, dayOnly: boolean) =>
          dayOnly ? utcDay(sent) === utcDay(d) : sent.getTime() === d.getTime(),
      ],
      ['DateSent>', (sent: Date, d: Date) => sent.getTime() >= d.getTime()],
      [
        'DateSent<',
        (sent: Date, d: Date, dayOnly: boolean) =>
          sent.getTime() < (dayOnly ? d.getTime() + 86_400_000 : d.getTime() + 1),
      ],
    ] as const) {
      const raw = query.get(name);
      if (raw === null) continue;
      const date = parseDateFilter(raw);
      if (!date) return sendError(res, 400, 20001, `Invalid value for ${name}: ${raw}`);
      // Twilio's dates have whole seconds.
      filters.push((m) => keep(new Date(Math.floor(m.dateCreated.getTime() / 1000) * 1000), date, raw.length === 10));
    }
    const pageSizeText = query.get('PageSize');
    const pageSize = pageSizeText === null ? 50 : Number(pageSizeText);
    if (!Number.isInteger(pageSize) || pageSize < 1)
      return sendError(res, 400, 20001, `Invalid PageSize: ${pageSizeText}`);
    const size = Math.min(pageSize, maxPageSize);
    const page = Number(query.get('Page') ?? '0');
    if (!Number.isInteger(page) || page < 0) return sendError(res, 400, 20001, 'Invalid Page');

    // Newest first, as Twilio lists them.
    const matching = messages.filter((m) => filters.every((f) => f(m))).reverse();
    let start = 0;
    const token = query.get('PageToken');
    if (page > 0) {
      if (token === null || !token.startsWith('PA'))
        return sendError(res, 400, 20001, 'PageToken is required for Page > 0');
      const after = matching.findIndex((m) => m.sid === token.slice(2));
      if (after < 0) return sendError(res, 400, 20001, 'Invalid PageToken');
      start = after + 1;
    }
    const slice = matching.slice(start, start + size);
    const base = new URLSearchParams(query);
    for (const k of ['Page', 'PageSize', 'PageToken']) base.delete(k);
    const uriFor = (p: number, pageToken?: string): string => {
      const q = new URLSearchParams(base);
      q.set('PageSize', String(size));
      q.set('Page', String(p));
      if (pageToken !== undefined) q.set('PageToken', pageToken);
      return `${path}?${q.toString()}`;
    };
    const last = slice[slice.length - 1];
    const hasMore = start + size < matching.length && last !== undefined;
    sendJson(res, 200, {
      end: start + Math.max(slice.length - 1, 0),
      first_page_uri: uriFor(0),
      next_page_uri: hasMore ? uriFor(page + 1, `PA${last.sid}`) : null,
      page,
      page_size: size,
      previous_page_uri: page > 0 ? uriFor(page - 1) : null,
      messages: slice.map((m) => resource(m, 'sent')),
      start,
      uri: `${path}?${query.toString()}`,
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname);
    const body = await readBody(req);
    const status = failures.shift();
    if (status === 429) return sendError(res, 429, 20429, 'Too Many Requests');
    if (status !== undefined) return sendError(res, status, 20500, 'An internal server error has occurred');

    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected || (match && match[1] !== accountSid)) {
      return sendError(res, 401, 20003, 'Authenticate');
    }
    if (!match) return sendError(res, 404, 20404, `The requested resource ${url.pathname} was not found`);
    if (req.method === 'GET') return list(res, url.pathname, url.searchParams);
    if (req.method !== 'POST') return sendError(res, 405, 20004, 'Method not allowed');
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return sendError(res, 400, 21000, 'Request body must be application/x-www-form-urlencoded');
    }

    const form = Object.fromEntries(new URLSearchParams(body));
    const to = form.To;
    const from = form.From ?? null;
    const messagingServiceSid = form.MessagingServiceSid ?? null;
    const text = form.Body;
    if (!to) return sendError(res, 400, 21604, "A 'To' phone number is required.");
    if (!from && !messagingServiceSid) return sendError(res, 400, 21603, "A 'From' phone number is required.");
    if (!text) return sendError(res, 400, 21602, 'Message body is required.');
    if (text.length > 1600)
      return sendError(res, 400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    if (!/^\+[1-9]\d{6,14}$/.test(to) || invalid.has(to)) {
      return sendError(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    }
    if (notMobile.has(to)) return sendError(res, 400, 21614, `'To' number ${to} is not a valid mobile number`);
    if (unsubscribed.has(to)) return sendError(res, 400, 21610, 'Attempt to send to unsubscribed recipient');

    const message: ReceivedSms = {
      sid: `SM${hex(16)}`,
      to,
      from,
      messagingServiceSid,
      body: text,
      form,
      dateCreated: new Date(),
    };
    messages.push(message);
    for (const wake of waiters) wake();
    if (acceptedHook) await acceptedHook(message);
    sendJson(res, 201, resource(message, messagingServiceSid ? 'accepted' : 'queued'));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, 20500, err instanceof Error ? err.message : String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    messages,
    requestCount: () => requests,
    waitFor(predicate, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = messages.find(predicate);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching SMS within ${timeoutMs} ms; received ${messages.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    markInvalid: (n) => void invalid.add(n),
    markUnsubscribed: (n) => void unsubscribed.add(n),
    markNotMobile: (n) => void notMobile.add(n),
    failNext(status, times = 1) {
      for (let i = 0; i < times; i++) failures.push(status);
    },
    onAccepted(hook) {
      acceptedHook = hook;
    },
    listRequests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
