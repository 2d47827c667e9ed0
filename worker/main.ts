/**
 * The worker process of a production-like deployment (docker-compose `worker` service):
 * connects to TEMPORAL_ADDRESS, wires the integrations named by INTEGRATIONS and polls the
 * task queue until SIGINT/SIGTERM, then drains in-flight activities and exits.
 */
import { NativeConnection } from '@temporalio/worker';
import { createLogger } from '../config/logger';
import { installRuntime } from './runtime';
import { ConfigError, environment } from '../config/env';
import { loadCoreConfig } from '../config/core';
import { createIntegrations } from '../wiring/integrations';
import { createWorker } from './create-worker';
import { activitySettings, requireSecrets } from '../config/settings';

async function main(): Promise<void> {
  const config = loadCoreConfig();
  const secrets = requireSecrets(config);
  const logger = createLogger({ level: config.LOG_LEVEL, pretty: config.NODE_ENV !== 'production' });
  // SDK and worker metrics (task queue backlog, schedule-to-start latency, activity failures) for Prometheus.
  installRuntime(logger, `0.0.0.0:${config.METRICS_PORT}`);
  const integrations = createIntegrations(config, activitySettings(config, secrets), environment(), {
    demoPassword: secrets.demoPassword,
  });
  await integrations.deps.experience.ready();
  const connection = await NativeConnection.connect({
    address: config.TEMPORAL_ADDRESS ?? 'localhost:7233',
    ...(config.TEMPORAL_TLS || config.TEMPORAL_API_KEY ? { tls: true } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: integrations.deps,
    ...(environment().WORKFLOW_BUNDLE_PATH ? { workflowBundlePath: environment().WORKFLOW_BUNDLE_PATH } : {}),
  });
  // Worker.run() installs SIGINT/SIGTERM handlers that shut it down gracefully.
  await worker.run();
  await integrations.close();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `Configuration error:\n${err.message}` : err);
  process.exit(1);
});
