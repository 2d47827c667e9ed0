/**
 * `npm run cluster`: Service Journeys in its production shape on this machine (see
 * cluster/cluster.ts). Ctrl-C stops everything; starting again resumes journeys in flight.
 */
import { ConfigError, environment } from '../config/env';
import { startCluster } from './cluster';
import { loadClusterConfig } from './config';

function say(line: string): void {
  console.log(line);
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadClusterConfig();
  say(`Service Journeys cluster — ${config.CLUSTER_WORKERS} workers, data in ${config.DATA_DIR}/cluster`);
  const cluster = await startCluster({ config, log: say });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    say('\nStopping the API, the workers (letting running activities finish), the Temporal server and PostgreSQL…');
    void cluster.stop().then(() => {
      say('Stopped. Journeys in flight continue when you start again.');
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await cluster.apiReady(120_000);
  const local = cluster.local;
  say('');
  say(`Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  say(`  Portal      ${cluster.portalUrl}/`);
  if (local && !environment().LDAP_URL) {
    say(
      `              sign in as steve, tony, dana, mia or ivy; each password is "<name>:Pässw0rd ✓" (the local directory)`,
    );
  }
  if (local) say(`  Outbox      ${cluster.portalUrl}/outbox   (what the local mail and SMS servers received)`);
  say(`  API         ${cluster.portalUrl}/api/v1   (OpenAPI: ${cluster.portalUrl}/api/v1/openapi.json)`);
  say(`  Temporal UI ${cluster.uiUrl ?? '(not available: the UI server could not be built)'}`);
  say(
    `  Temporal    ${cluster.temporalAddress}  namespace ${config.TEMPORAL_NAMESPACE}, ${config.CLUSTER_HISTORY_SHARDS} history shards, on PostgreSQL 127.0.0.1:${config.CLUSTER_POSTGRES_PORT}`,
  );
  say(
    `  Workers     ${cluster.workers.map((w) => `${w.name} (pid ${w.pid()})`).join(', ')}; metrics on :${config.METRICS_PORT}…`,
  );
  say(`  Logs        ${config.DATA_DIR}/cluster/logs/`);
  say('Press Ctrl-C to stop.');
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError
      ? `Configuration error:\n${err.message}`
      : `The cluster could not start: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exit(1);
});
