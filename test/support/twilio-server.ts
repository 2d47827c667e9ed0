/**
 * A real HTTP server speaking the part of Twilio's REST API the SMS adapter uses: form-encoded
 * `POST /2010-04-01/Accounts/{Sid}/Messages.json` with basic auth, answered with Twilio's JSON
 * shapes (201 message resource; errors as `{ code, message, more_info, status }`).
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
}

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
  stop(): Promise<void>;
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
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

/** Starts the server on 127.0.0.1 and a free port, with a fresh account SID and auth token unless given. */
export async function startTwilioServer(options: { accountSid?: string; authToken?: string } = {}): Promise<TestTwilioServer> {
  const accountSid = options.accountSid ?? `AC${hex(16)}`;
  const authToken = options.authToken ?? hex(16);
  const messages: ReceivedSms[] = [];
  const waiters = new Set<() => void>();
  const invalid = new Set<string>();
  const unsubscribed = new Set<string>();
  const notMobile = new Set<string>();
  const failures: number[] = [];
  let requests = 0;

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
    if (text.length > 1600) return sendError(res, 400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    if (!/^\+[1-9]\d{6,14}$/.test(to) || invalid.has(to)) {
      return sendError(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    }
    if (notMobile.has(to)) return sendError(res, 400, 21614, `'To' number ${to} is not a valid mobile number`);
    if (unsubscribed.has(to)) return sendError(res, 400, 21610, 'Attempt to send to unsubscribed recipient');

    const sid = `SM${hex(16)}`;
    const now = rfc2822(new Date());
    messages.push({ sid, to, from, messagingServiceSid, body: text, form });
    for (const wake of waiters) wake();
    const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`;
    sendJson(res, 201, {
      account_sid: accountSid,
      api_version: '2010-04-01',
      body: text,
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from,
      messaging_service_sid: messagingServiceSid,
      num_media: '0',
      num_segments: String(Math.max(1, Math.ceil(text.length / 153))),
      price: null,
      price_unit: 'USD',
      sid,
      status: messagingServiceSid ? 'accepted' : 'queued',
      subresource_uris: { media: uri.replace('.json', '/Media.json') },
      to,
      uri,
    });
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
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
