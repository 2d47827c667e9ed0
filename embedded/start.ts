/**
 * `npm start`: the whole product on one machine, no external systems.
 *  - the real Temporal dev server, persisted in DATA_DIR/temporal/dev.sqlite, with its web UI
 *  - the worker (journeys + activities) over the embedded stand-ins for directory, CMDB, mail,
 *    SMS and SCIM, seeded with the Eagle5 demo organisation
 *  - the API and portal
 * Ctrl-C stops everything cleanly; starting again resumes journeys that were in flight.
 */
import { join, resolve } from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createLogger } from '../config/logger';
import { installRuntime } from '../worker/runtime';
import { ConfigError, environment } from '../config/env';
import { loadCoreConfig } from '../config/core';
import { createIntegrations } from '../wiring/integrations';
import { createWorker } from '../worker/create-worker';
import { activitySettings, publicUrl, requireSecrets } from '../config/settings';
import { apiKeysFromEnv, demoApiKeyEntry } from '../client/api/keys';
import { startApiServer } from '../client/server';
import { startDevServer, type DevServer } from './dev-server';

function say(line: string): void {
  console.log(line);
}

/**
 * One request a newcomer can paste: Steve asks for Expensatron with his registered phone, so the
 * journey runs to the end (email, SMS link, account). The answer's statusUrl shows it progress.
 */
function tryItCurl(portal: string, apiKey: string): string {
  const body = JSON.stringify({
    serviceId: 'expensatron',
    requester: 'steve',
    fields: { phone: '07700 900123', os: 'android' },
  });
  return [
    'curl -sS -X POST',
    `'${portal}/api/v1/requests'`,
    `-H 'Authorization: Bearer ${apiKey}'`,
    "-H 'Content-Type: application/json'",
    "-H 'Idempotency-Key: try-it-1'",
    `-d '${body}'`,
  ].join(' ');
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadCoreConfig();
  const secrets = requireSecrets(config);
  // Parsed before anything starts, so a bad API_KEYS fails fast with the variable's name.
  const configuredKeys = apiKeysFromEnv(environment());
  // The embedded default also has a demo key (kept in DATA_DIR/secrets.json), printed below.
  const demoKey = config.INTEGRATIONS === 'embedded' ? secrets.demoApiKey : null;
  const dataDir = resolve(config.DATA_DIR);
  const logger = createLogger({ level: config.LOG_LEVEL, pretty: config.NODE_ENV !== 'production' });
  // SDK and worker metrics (task queue backlog, schedule-to-start latency, activity failures) for Prometheus.
  installRuntime(logger, `127.0.0.1:${config.METRICS_PORT}`);
  say(`Service Journeys — starting (${config.INTEGRATIONS} integrations, data in ${dataDir})`);

  let devServer: DevServer | null = null;
  let address = config.TEMPORAL_ADDRESS;
  let uiUrl = config.TEMPORAL_UI_URL ?? null;
  if (!address) {
    say(`Starting the Temporal dev server on 127.0.0.1:${config.TEMPORAL_PORT} (UI :${config.TEMPORAL_UI_PORT})…`);
    devServer = await startDevServer({
      dbFile: join(dataDir, 'temporal', 'dev.sqlite'),
      ip: '127.0.0.1',
      port: config.TEMPORAL_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
      log: (l) => say(l),
    }).catch((err: unknown) => {
      throw new Error(
        `could not start the Temporal dev server on port ${config.TEMPORAL_PORT} ` +
          `(is another one running? set TEMPORAL_PORT/TEMPORAL_UI_PORT, or TEMPORAL_ADDRESS to use it): ${String(err)}`,
      );
    });
    address = devServer.address;
    uiUrl ??= devServer.uiUrl;
  }

  const integrations = createIntegrations(config, activitySettings(config, secrets), environment(), {
    demoPassword: secrets.demoPassword,
  });
  await integrations.deps.experience.ready();
  const nativeConnection = await NativeConnection.connect({ address });
  say('Bundling workflows and starting the worker…');
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: integrations.deps,
  });
  // The API shares the worker's connection, so submissions start eagerly on this worker.
  const client = new Client({ connection: nativeConnection, namespace: config.TEMPORAL_NAMESPACE });
  const api = await startApiServer({
    config,
    secrets,
    client,
    directory: integrations.deps.directory,
    cmdb: integrations.deps.cmdb,
    outbox: integrations.outbox,
    experience: integrations.deps.experience,
    temporalUiUrl: uiUrl,
    apiKeys: demoKey ? [...configuredKeys, demoApiKeyEntry(demoKey)] : configuredKeys,
  });

  const running = worker.run();
  const portal = publicUrl(config);
  say('');
  say(`Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  say(`  Portal      ${portal}/   (sign in as steve, tony, dana, mia or ivy; password: ${secrets.demoPassword})`);
  say(`  Outbox      ${portal}/outbox   (the mail and SMS the journeys sent)`);
  say(`  API         ${portal}/api/v1   (OpenAPI: ${portal}/api/v1/openapi.json)`);
  if (demoKey) {
    say(`  API key     ${demoKey}   (demo key with every scope, kept in ${join(dataDir, 'secrets.json')})`);
    say(`  Try it      ${tryItCurl(portal, demoKey)}`);
  }
  say(`  Temporal UI ${uiUrl ?? '(not started: TEMPORAL_ADDRESS points at an existing server)'}`);
  say(`  Metrics     http://127.0.0.1:${config.METRICS_PORT}/metrics   (Prometheus: worker and SDK)`);
  say(`  Temporal    ${address}  namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.TEMPORAL_TASK_QUEUE}`);
  say('Press Ctrl-C to stop.');

  // The SDK's Runtime shuts the worker down on SIGINT/SIGTERM; when it has drained, close the rest.
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    say('\nStopping…');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await running;
  await api.close();
  await nativeConnection.close();
  await integrations.close();
  await devServer?.stop();
  say('Stopped. Journeys in flight continue when you start again.');
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`Configuration error:\n${err.message}`);
  } else {
    console.error(`Service Journeys could not start: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exit(1);
});
