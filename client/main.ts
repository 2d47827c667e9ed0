/**
 * The API and portal process of a production-like deployment (docker-compose `api` service):
 * one long-lived Temporal client, the directory and CMDB adapters named by INTEGRATIONS, and
 * the HTTP server on HTTP_HOST:HTTP_PORT. SIGINT/SIGTERM stop it after requests in flight.
 */
import { Client, Connection } from '@temporalio/client';
import { ConfigError, environment } from '../config/env';
import { loadCoreConfig } from '../config/core';
import { createIntegrations } from '../wiring/integrations';
import { activitySettings, requireSecrets } from '../config/settings';
import { createFileOutbox } from '../integrations/outbox/file-outbox';
import { apiKeysFromEnv } from './api/keys';
import { startApiServer } from './server';

async function main(): Promise<void> {
  const config = loadCoreConfig();
  const secrets = requireSecrets(config);
  // Parsed before connecting anything, so a bad API_KEYS fails fast with the variable's name.
  const apiKeys = apiKeysFromEnv(environment());
  const integrations = createIntegrations(config, activitySettings(config, secrets), environment(), {
    demoPassword: secrets.demoPassword,
  });
  // Lazy: the portal and API come up (and answer 503 for journey calls) even while the Temporal
  // server is down or restarting; the connection is made on first use and re-made after a loss.
  const connection = Connection.lazy({
    address: config.TEMPORAL_ADDRESS ?? 'localhost:7233',
    ...(config.TEMPORAL_TLS || config.TEMPORAL_API_KEY ? { tls: true } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  // The store createIntegrations built from EXPERIENCE_DATABASE_URL (or DATA_DIR): the page and
  // the exports read what the worker's activities wrote. Readied now to fail fast on a bad
  // database; closed by integrations.close() at shutdown.
  const experience = integrations.deps.experience;
  await experience.ready();
  const server = await startApiServer({
    config,
    secrets,
    client,
    apiKeys,
    directory: integrations.deps.directory,
    cmdb: integrations.deps.cmdb,
    outbox: integrations.outbox ?? (config.OUTBOX_FILE ? createFileOutbox(config.OUTBOX_FILE) : null),
    experience,
    temporalUiUrl: config.TEMPORAL_UI_URL ?? null,
  });
  server.app.log.info(`portal and API listening on ${server.url}`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await server.close();
      await connection.close();
      await integrations.close();
      process.exit(0);
    })();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `Configuration error:\n${err.message}` : err);
  process.exit(1);
});
