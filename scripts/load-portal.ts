/**
 * Load check of the portal and the API on this machine (`npm run load:portal`), `npm start`
 * wiring in miniature: a throwaway Temporal dev server, the worker over the embedded stand-ins
 * in a temporary DATA_DIR, and the app. Then autocannon against
 *   1. GET /catalog?q=Expensatron as a signed-in user (server-rendered search results), and
 *   2. POST /api/v1/requests (each call starts a real fulfilment journey),
 * and prints p50/p99 latency and requests per second. Prints numbers; asserts nothing.
 *
 *   npm run load:portal -- [--seconds 10] [--connections 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startDevServer } from '../embedded/dev-server';
import { demoPeople } from '../embedded/demo-org';
import { hashApiKey } from '../client/api/keys';
import { startApiServer } from '../client/server';
import { loadCoreConfig } from '../config/core';
import { createIntegrations } from '../wiring/integrations';
import { createWorker } from '../worker/create-worker';
import { activitySettings, requireSecrets } from '../config/settings';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const seconds = arg('seconds', 10);
const connections = arg('connections', 10);

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
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
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
    console.log(`\n(each POST started a fulfilment journey: ${requests['2xx']} journeys on the worker)`);
  } finally {
    await api.close();
    worker.shutdown();
    await running;
    await connection.close();
    await native.close();
    await integrations.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
