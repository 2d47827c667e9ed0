/**
 * The process configuration, parsed once from the environment at start-up. The worker, the
 * API and `npm start` all read it through here; each integration's own variables are parsed by
 * its `config.ts` from the env the process passes in. Outside config/, tests and scripts,
 * nothing reads `process.env` (eslint enforces it; see `environment()` in env.ts).
 */
import { z } from 'zod';
import { ConfigError, parseEnv, type Env } from './env';

const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const secret = z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)');

export const coreConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  /** `embedded`: local stand-ins for directory, CMDB, mail, SMS and SCIM. `production`: the real systems. */
  INTEGRATIONS: z.enum(['embedded', 'production'], { error: 'must be embedded or production' }).default('embedded'),
  DATA_DIR: z.string().min(1).default('.data'),
  /** Unset with INTEGRATIONS=embedded: `npm start` runs its own dev server. */
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be host:port, e.g. localhost:7233')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('service-journeys'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: bool.default(false),
  /** Port of the embedded dev server. */
  TEMPORAL_PORT: port.default(7233),
  /** Port of the embedded dev server's web UI. */
  TEMPORAL_UI_PORT: port.default(8233),
  /** Where people open the Temporal UI (links from the portal). */
  TEMPORAL_UI_URL: z.url('must be a URL such as http://localhost:8233').optional(),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: port.default(3000),
  PUBLIC_URL: z.url('must be a URL such as http://localhost:3000').optional(),
  SESSION_SECRET: secret.optional(),
  LINK_SECRET: secret.optional(),
  SERVICE_DESK_EMAIL: z.email('must be an email address').default('servicedesk@eagle5.example'),
  METRICS_PORT: port.default(9464),
  /**
   * The API shows this outbox file at /outbox: `npm run cluster` sets it to what its local mail
   * and SMS stand-ins received. Unset in production (the real providers keep their own logs).
   */
  OUTBOX_FILE: z.string().min(1).optional(),
});
export type CoreConfig = z.infer<typeof coreConfigSchema>;

export function loadCoreConfig(env: Env = process.env): CoreConfig {
  const config = parseEnv(coreConfigSchema, env);
  if (config.INTEGRATIONS === 'production') {
    const missing = (['TEMPORAL_ADDRESS', 'SESSION_SECRET', 'LINK_SECRET', 'PUBLIC_URL'] as const).filter(
      (k) => !config[k],
    );
    if (missing.length > 0) {
      throw new ConfigError(missing.map((k) => `${k}: required when INTEGRATIONS=production (not set)`).join('\n'));
    }
  }
  return config;
}
