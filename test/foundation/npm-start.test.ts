/**
 * `npm start` is durable: a journey waiting for a person survives Ctrl-C and carries on when the
 * product is started again on the same data folder. Everything here is the real product as a
 * person runs it (`npm start` in its own process group: its own Temporal dev server persisted in
 * DATA_DIR, worker, portal and API), driven over real HTTP; nothing is shared with the suite's
 * dev server.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hashApiKey } from '../../client/api/keys';
import { demoDevices } from '../../embedded/demo-org';
import { freeProductPorts, startProduct, type RunningProduct } from '../support/npm-start';
import { csrfTokenOf, hiddenValue, textOf } from '../client/support/portal-session';
import { waitFor } from '../client/support/wait';

/** A browser's cookie jar over real HTTP, enough for the portal's session and CSRF cookies. */
class HttpPortal {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  private async send(
    method: 'GET' | 'POST',
    path: string,
    form?: Record<string, string>,
  ): Promise<{ status: number; location: string | null; body: string }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0]!;
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      if (value === '' || /max-age=0/i.test(c)) this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), value);
    }
    return { status: res.status, location: res.headers.get('location'), body: await res.text() };
  }

  get(path: string) {
    return this.send('GET', path);
  }

  post(path: string, form: Record<string, string>) {
    return this.send('POST', path, form);
  }

  async signIn(account: string, password: string): Promise<void> {
    const page = await this.get('/signin');
    const res = await this.post('/signin', { _csrf: csrfTokenOf(page.body), username: account, password });
    if (res.status !== 303)
      throw new Error(`sign-in as ${account} answered ${res.status}: ${textOf(res.body).slice(0, 300)}`);
  }
}

const apiKey = `sj_npmstart_${randomBytes(12).toString('hex')}`;
const apiEnv = {
  API_KEYS: JSON.stringify([{ name: 'npm-start-test', hash: hashApiKey(apiKey), scopes: ['requests:read'] }]),
};

const requestView = z.object({
  id: z.string(),
  running: z.boolean(),
  stage: z.string(),
  outcome: z.string().nullable(),
  waitingFor: z.object({ kind: z.string() }).nullable(),
});
type RequestView = z.infer<typeof requestView>;

async function readRequest(product: RunningProduct, id: string): Promise<RequestView> {
  const res = await fetch(`${product.portalUrl}/api/v1/requests/${encodeURIComponent(id)}`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  if (res.status !== 200) throw new Error(`GET /api/v1/requests/${id} answered ${res.status}: ${await res.text()}`);
  return requestView.parse(await res.json());
}

/** The ready `curl` that `npm start` prints for its demo API key ("Try it" line). */
function printedCurl(product: RunningProduct): string {
  const line = /^ {2}Try it {6}(curl .+)$/m.exec(product.output())?.[1];
  if (!line) throw new Error(`npm start printed no "Try it" curl; its output:\n${product.output().slice(-3000)}`);
  return line;
}

/**
 * The request a printed curl command makes, read the way a POSIX shell splits it (bare words
 * and single-quoted words only) and refusing any option this test does not understand, so the
 * command stays one a person can paste as it is.
 */
function curlRequest(command: string): {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
} {
  const words: string[] = [];
  const word = /\s*(?:'([^']*)'|([^\s'"\\$`]+))(?=\s|$)/y;
  while (word.lastIndex < command.trimEnd().length) {
    const m = word.exec(command);
    if (!m) throw new Error(`cannot split the printed curl at ${command.slice(word.lastIndex, word.lastIndex + 40)}`);
    words.push(m[1] ?? m[2]!);
  }
  if (words.shift() !== 'curl') throw new Error('not a curl command');
  let method = 'GET';
  let url = '';
  let body: string | undefined;
  const headers: Record<string, string> = {};
  while (words.length > 0) {
    const w = words.shift()!;
    if (w === '-sS') continue;
    if (w === '-X') method = words.shift()!;
    else if (w === '-H') {
      const h = words.shift()!;
      headers[h.slice(0, h.indexOf(':')).trim().toLowerCase()] = h.slice(h.indexOf(':') + 1).trim();
    } else if (w === '-d') body = words.shift()!;
    else if (/^https?:\/\//.test(w)) url = w;
    else throw new Error(`the printed curl has an option this test does not know: ${w}`);
  }
  return { method, url, headers, body };
}

async function runPrintedCurl(
  product: RunningProduct,
): Promise<{ status: number; body: { id: string; created: boolean; statusUrl: string }; apiKey: string }> {
  const r = curlRequest(printedCurl(product));
  const res = await fetch(r.url, {
    method: r.method,
    headers: r.headers,
    ...(r.body !== undefined ? { body: r.body } : {}),
  });
  const text = await res.text();
  if (res.status !== 201 && res.status !== 200) throw new Error(`the printed curl answered ${res.status}: ${text}`);
  return {
    status: res.status,
    body: JSON.parse(text) as { id: string; created: boolean; statusUrl: string },
    apiKey: (r.headers.authorization ?? '').replace(/^Bearer /, ''),
  };
}

const outboxLine = z.object({
  channel: z.enum(['email', 'sms']),
  to: z.string(),
  text: z.string(),
  idempotencyKey: z.string(),
});

const steveDevice = demoDevices.find((d) => d.owner === 'steve')!;
// A well-formed UK mobile number that the demo CMDB does not know at all.
const unregistered = '07700 900555';

const dataDir = mkdtempSync(join(tmpdir(), 'sj-npm-start-'));
const running: RunningProduct[] = [];
afterAll(async () => {
  // A failed assertion must not leave a dev server behind.
  for (const p of running) await p.stop(30_000).catch(() => p.kill());
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('keeps a waiting journey across Ctrl-C and a restart, then completes it', { timeout: 240_000 }, async () => {
    expect(demoDevices.some((d) => d.phone === '+447700900555')).toBe(false);
    const ports = await freeProductPorts();

    const first = await startProduct({ dataDir, ports, env: apiEnv });
    running.push(first);
    // The printed curl, as a newcomer pastes it, gets Steve's Expensatron request fulfilled.
    const tried = await runPrintedCurl(first);
    expect(tried.status).toBe(201);
    expect(tried.body).toMatchObject({ created: true, statusUrl: `/api/v1/requests/${tried.body.id}` });
    const secrets = z
      .object({ demoApiKey: z.string() })
      .parse(JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')));
    expect(tried.apiKey).toBe(secrets.demoApiKey);
    const fulfilled = await waitFor(
      async () => {
        const res = await fetch(`${first.portalUrl}${tried.body.statusUrl}`, {
          headers: { authorization: `Bearer ${tried.apiKey}` },
        });
        return requestView.parse(await res.json());
      },
      (v) => !v.running,
      90_000,
      500,
    );
    expect(fulfilled).toMatchObject({ id: tried.body.id, outcome: 'completed', stage: 'completed' });

    const steve = new HttpPortal(first.portalUrl);
    await steve.signIn('steve', first.demoPassword);
    const form = await steve.get('/catalog/expensatron');
    expect(form.status).toBe(200);
    const submitted = await steve.post('/catalog/expensatron/request', {
      _csrf: csrfTokenOf(form.body),
      submissionId: hiddenValue(form.body, 'submissionId'),
      phone: unregistered,
      os: 'android',
    });
    expect(submitted.status).toBe(303);
    const id = decodeURIComponent(/^\/requests\/([^/]+)\/recorded$/.exec(submitted.location ?? '')?.[1] ?? '');
    expect(id).toMatch(/^fulfil-expensatron-/);

    const waiting = await waitFor(
      () => readRequest(first, id),
      (v) => v.waitingFor?.kind === 'device-correction',
      60_000,
      500,
    );
    expect(waiting).toMatchObject({ running: true, stage: 'device-check' });

    // Ctrl-C: everything stops cleanly, the dev server included.
    const stopped = await first.stop(90_000);
    running.splice(running.indexOf(first), 1);
    const tail = first
      .output()
      .split('\n')
      .filter((l) => !/^\s/.test(l))
      .slice(-12)
      .join('\n');
    expect(stopped.stoppedCleanly, `no "Stopped." line after Ctrl-C; the product's last lines:\n${tail}`).toBe(true);
    expect(first.output()).toMatch(/^Stopped\. Journeys in flight continue when you start again\.$/m);
    // npm re-raises the SIGINT its script got (a shell shows 130); anything else is a crash.
    expect(stopped.code === 0 || stopped.signal === 'SIGINT').toBe(true);
    expect(first.output()).not.toMatch(/could not start|Unhandled|ERR_/);

    // Started again on the same data folder: the same journey, still waiting for Steve.
    const second = await startProduct({ dataDir, ports, env: apiEnv });
    running.push(second);
    // The demo key is kept in DATA_DIR: the same key, and the same curl finds the same request.
    expect(printedCurl(second)).toBe(printedCurl(first));
    const retried = await runPrintedCurl(second);
    expect(retried).toMatchObject({ status: 200, body: { id: tried.body.id, created: false } });
    const resumed = await readRequest(second, id);
    expect(resumed).toMatchObject({
      id,
      running: true,
      stage: 'device-check',
      waitingFor: { kind: 'device-correction' },
    });

    const again = new HttpPortal(second.portalUrl);
    await again.signIn('steve', second.demoPassword);
    const page = await again.get(`/requests/${encodeURIComponent(id)}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`action="/requests/${id}/device"`);
    const corrected = await again.post(`/requests/${encodeURIComponent(id)}/device`, {
      _csrf: csrfTokenOf(page.body),
      phone: steveDevice.phone,
      os: '',
    });
    expect(corrected.status).toBe(303);

    const done = await waitFor(
      () => readRequest(second, id),
      (v) => !v.running,
      90_000,
      500,
    );
    expect(done).toMatchObject({ stage: 'completed', outcome: 'completed', waitingFor: null });

    // Steve's phone beeps: the download link went out once, to his registered phone.
    const outbox = await again.get(`/outbox?channel=sms&to=${encodeURIComponent(steveDevice.phone)}`);
    expect(outbox.status).toBe(200);
    expect(textOf(outbox.body)).toMatch(/SMS to .*\+447700900123.*Expensatron/);
    const sent = readFileSync(join(dataDir, 'outbox.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => outboxLine.parse(JSON.parse(l)))
      .filter((e) => e.channel === 'sms' && e.to === steveDevice.phone && e.idempotencyKey.includes(id));
    expect(sent.filter((e) => /https?:\/\//.test(e.text) && /Expensatron/i.test(e.text))).toHaveLength(1);

    const last = await second.stop(90_000);
    running.splice(running.indexOf(second), 1);
    expect(last.stoppedCleanly).toBe(true);
  });
});
