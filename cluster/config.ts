/**
 * Settings of `npm run cluster` (and of the chaos run and cluster tests, which pass their own),
 * from the environment. The product's own variables (INTEGRATIONS, LDAP_URL, SMTP_HOST, …) are
 * passed through to the workers and the API unchanged.
 */
import { z } from 'zod';
import { parseEnv, environment } from '../config/env';

type Env = Record<string, string | undefined>;

const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

export const clusterConfigSchema = z.object({
  DATA_DIR: z.string().min(1).default('.data'),
  /** Worker processes polling the task queue. */
  CLUSTER_WORKERS: z.coerce
    .number({ error: 'must be a number' })
    .int()
    .min(1, 'must be at least 1')
    .max(8, 'must be at most 8')
    .default(2),
  /** Fixed when the Temporal schema is first made (changing it later needs a new database). */
  CLUSTER_HISTORY_SHARDS: z.coerce.number({ error: 'must be a number' }).int().min(1).max(1024).default(16),
  /** PostgreSQL of the cluster (Temporal's two databases and the journeys' own). */
  CLUSTER_POSTGRES_PORT: port.default(55432),
  /** The Temporal frontend (gRPC); the server's other services take ports just above it. */
  TEMPORAL_PORT: port.default(7233),
  /** The Temporal web UI server. */
  TEMPORAL_UI_PORT: port.default(8233),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: port.default(3000),
  /** The first worker's metrics port; worker n uses METRICS_PORT + n - 1. */
  METRICS_PORT: port.default(9464),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('service-journeys'),
});
export type ClusterConfig = z.infer<typeof clusterConfigSchema>;

export function loadClusterConfig(env: Env = environment()): ClusterConfig {
  return parseEnv(clusterConfigSchema, env);
}
