/**
 * Load check of the portal and the API on this machine (`npm run load:portal`), `npm start`
 * wiring in miniature: a throwaway Temporal dev server, the worker over the embedded stand-ins
 * in a temporary DATA_DIR, and the app. Then autocannon against
 *   1. GET /catalog?q=Expensatron as a signed-in user (server-rendered search results), and
 *   2. POST /api/v1/requests (each call starts a real fulfilment journey),
 * and prints p50/p99 latency and requests per second. Then
 *   3. the portal's submit to the SMS in the outbox: Steve signs in, opens the Expensatron page
 *      and sends its form, one request at a time; from just before the POST to the outbox's
 *      time on the download-link SMS of that request (both clocks are this process's).
 * Prints numbers; asserts nothing, but exits non-zero if a request's SMS never arrives.
 *
 *   npm run load:portal -- [--seconds 10] [--connections 10] [--submits 20]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startDevServer } from '../embedded/dev-server';
import { demoPeople } from '../embedded/demo-org';
import { hashApiKey } from '../client/api/keys';
import { startApiServer } from '../client/server';
import { loadCoreConfig } from '../config/core';
import { createIntegrations } from '../wiring/integrations';
import type { Outbox } from '../integrations/outbox/types';
import { createWorker } from '../worker/create-worker';
import { activitySettings, requireSecrets } from '../config/settings';
import { percentile } from './bench-support';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const seconds = arg('seconds', 10);
const connections = arg('connections', 10);
const submits = arg('submits', 20);

/** Signs in through the real form (CSRF token and all) and returns the Cookie header to send. */
async function signIn(base: string, accountName: string, password: string): Promise<string> {
  const jar = new Map<string, string>();
  const keep = (res: Response): void => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  };
  const cookie = (): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const form = await fetch(`${base}/signin`);
  keep(form);
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!token) throw new Error('no CSRF token on the sign-in page');
  const res = await fetch(`${base}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() },
    body: new URLSearchParams({ _csrf: token, username: accountName, password, next: '/' }).toString(),
  });
  keep(res);
  if (res.status !== 303) throw new Error(`sign-in failed with ${res.status}`);
  return cookie();
}

/** No fulfilment journey still running (the load's journeys done), or after 120 s, say so. */
async function waitForIdle(client: Client): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { count } = await client.workflow.count(`ExecutionStatus = "Running"`);
    if (count === 0) return;
    if (Date.now() > deadline) throw new Error(`${count} journeys still running after 120 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * One portal submission as a browser makes it: the service page (CSRF token, submission id),
 * then the form POST. Returns the time to the redirect and to the outbox's SMS of that request.
 */
async function submitAndWaitForSms(
  base: string,
  cookie: string,
  phone: string,
  outbox: Outbox,
): Promise<{ toRedirectMs: number; toSmsMs: number }> {
  const page = await (await fetch(`${base}/catalog/expensatron`, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  const submission = /name="submissionId" value="([^"]+)"/.exec(page)?.[1];
  if (!csrf || !submission) throw new Error('the Expensatron page has no request form (CSRF token, submission id)');
  const startedAt = Date.now();
  const res = await fetch(`${base}/catalog/expensatron/request`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ _csrf: csrf, submissionId: submission, phone, os: 'android' }).toString(),
  });
  const toRedirectMs = Date.now() - startedAt;
  const location = res.headers.get('location') ?? '';
  const id = /^\/requests\/([^/]+)\/recorded$/.exec(location)?.[1];
  if (res.status !== 303 || !id)
    throw new Error(`the submit answered ${res.status} ${location}, not the recorded page`);
  const key = `${decodeURIComponent(id)}/download-link`;
  const deadline = startedAt + 10_000;
  for (;;) {
    const sms = (await outbox.list({ channel: 'sms', to: phone, limit: 20 })).find((e) => e.idempotencyKey === key);
    if (sms) return { toRedirectMs, toSmsMs: Date.parse(sms.sentAt) - startedAt };
    if (Date.now() > deadline) throw new Error(`no download-link SMS for ${decodeURIComponent(id)} within 10 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function report(title: string, r: autocannon.Result): void {
  const ok = r['2xx'];
  console.log(
    `${title.padEnd(34)} p50 ${String(r.latency.p50).padStart(5)} ms  p99 ${String(r.latency.p99).padStart(5)} ms  ` +
      `${r.requests.average.toFixed(0).padStart(6)} req/s  (${ok} ok, ${r.non2xx} non-2xx, ${r.errors} errors, ${r.duration.toFixed(0)} s, ${r.connections} connections)`,
  );
}

async function main(): Promise<void> {
  // Only the numbers on the console: the worker logs warnings and errors only.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dataDir = mkdtempSync(join(tmpdir(), 'sj-load-'));
  console.log(`Starting a Temporal dev server, the worker and the app (data in ${dataDir})…`);
  const server = await startDevServer({});
  const config = loadCoreConfig({
    INTEGRATIONS: 'embedded',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
  });
  const secrets = requireSecrets(config);
  const integrations = createIntegrations(
    config,
    activitySettings(config, secrets),
    {},
    { demoPassword: secrets.demoPassword },
  );
  const native = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker({
    connection: native,
    namespace: server.namespace,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: integrations.deps,
  });
  const running = worker.run();
  // As `npm start` does (embedded/start.ts): the API's client on the worker's own connection, so
  // submissions start their journeys eagerly on this worker.
  const client = new Client({ connection: native, namespace: server.namespace });
  const key = `load_${randomBytes(16).toString('hex')}`;
  const api = await startApiServer(
    {
      config,
      secrets,
      client,
      directory: integrations.deps.directory,
      cmdb: integrations.deps.cmdb,
      outbox: integrations.outbox,
      temporalUiUrl: null,
      apiKeys: [{ name: 'load', hash: hashApiKey(key), scopes: ['requests:write', 'requests:read'] }],
      logger: false,
    },
    { host: '127.0.0.1', port: 0 },
  );
  try {
    const steve = demoPeople.find((p) => p.accountName === 'steve')!;
    const cookie = await signIn(api.url, steve.accountName, secrets.demoPassword);
    console.log(`Ready. ${seconds} s per run, ${connections} connections.\n`);

    const catalog = await autocannon({
      url: `${api.url}/catalog?q=Expensatron`,
      connections,
      duration: seconds,
      headers: { cookie },
    });
    report('GET /catalog?q=Expensatron', catalog);

    const requests = await autocannon({
      url: `${api.url}/api/v1/requests`,
      method: 'POST',
      connections,
      duration: seconds,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        serviceId: 'expensatron',
        requester: steve.accountName,
        fields: { phone: steve.mobile, os: 'android' },
      }),
    });
    report('POST /api/v1/requests', requests);
    console.log(`(each POST started a fulfilment journey: ${requests['2xx']} journeys on the worker)`);

    // Let the journeys the load started finish before timing single submissions.
    console.log('\nWaiting for the worker to finish those journeys…');
    await waitForIdle(client);
    const outbox = integrations.outbox;
    if (!outbox) throw new Error('the embedded integrations have no outbox');
    const toSms: number[] = [];
    const toRedirect: number[] = [];
    for (let i = 0; i < submits + 3; i++) {
      const r = await submitAndWaitForSms(api.url, cookie, steve.mobile!, outbox);
      if (i >= 3) {
        toSms.push(r.toSmsMs);
        toRedirect.push(r.toRedirectMs);
      }
    }
    console.log(
      `${'portal submit → recorded page'.padEnd(34)} p50 ${String(percentile(toRedirect, 50)).padStart(5)} ms  p99 ${String(percentile(toRedirect, 99)).padStart(5)} ms  (${submits} submits one at a time, after 3 warm-up)`,
    );
    console.log(
      `${'portal submit → SMS in the outbox'.padEnd(34)} p50 ${String(percentile(toSms, 50)).padStart(5)} ms  p99 ${String(percentile(toSms, 99)).padStart(5)} ms  (target ≤ 1,000 ms; not asserted)`,
    );
  } finally {
    await api.close();
    worker.shutdown();
    await running;
    await native.close();
    await integrations.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
