/**
 * ServiceNow settings from the environment. The worker calls {@link cmdbConfigFromEnv} at
 * start-up; every problem is reported with the variable's name.
 */
import { z } from 'zod';
import { parseEnv } from '../../config/env';

type Env = Record<string, string | undefined>;

export type ServiceNowAuth = { kind: 'basic'; user: string; password: string } | { kind: 'bearer'; token: string };

/** What the ServiceNow adapter needs. Everything past `timeoutMs` has a default. */
export interface CmdbConfig {
  /** The instance, e.g. https://eagle5.service-now.com (no trailing /api). */
  url: string;
  auth: ServiceNowAuth;
  /** For each request, reading the body included. */
  timeoutMs: number;
  /** How often a 429 is waited out inside one call before giving up as `Unavailable` (default 2). */
  rateLimitRetries?: number;
  /** A Retry-After longer than this is not waited out here but handed to the caller (default 10000). */
  maxRateLimitWaitMs?: number;
  /** The `cmdb_ci_service` field holding our service id, e.g. `crm` (default `u_service_id`). */
  serviceIdField?: string;
  /** The boolean `sys_user` field saying "text me as well" (default `u_prefers_sms`). */
  smsPreferenceField?: string;
}

const fieldName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'must be a ServiceNow field name such as u_service_id (lower case, digits, _)');

export const cmdbEnvSchema = z
  .object({
    SERVICENOW_URL: z
      .url({ protocol: /^https?$/, error: 'must be your instance URL, such as https://eagle5.service-now.com' })
      .refine((u) => !/\/api(\/|$)/.test(new URL(u).pathname), 'must be the instance URL without /api/now/table'),
    SERVICENOW_USER: z.string().optional(),
    SERVICENOW_PASSWORD: z.string().optional(),
    SERVICENOW_TOKEN: z.string().min(8, 'looks too short for an OAuth access token').optional(),
    SERVICENOW_TIMEOUT_MS: z.coerce
      .number({ error: 'must be a number of milliseconds' })
      .int('must be a whole number of milliseconds')
      .min(100, 'must be at least 100')
      .max(120_000, 'must be at most 120000')
      .default(10_000),
    SERVICENOW_SERVICE_ID_FIELD: fieldName.default('u_service_id'),
    SERVICENOW_SMS_PREFERENCE_FIELD: fieldName.default('u_prefers_sms'),
  })
  .superRefine((env, ctx) => {
    const basic = env.SERVICENOW_USER !== undefined || env.SERVICENOW_PASSWORD !== undefined;
    if (env.SERVICENOW_TOKEN !== undefined && basic) {
      ctx.addIssue({
        code: 'custom',
        path: ['SERVICENOW_TOKEN'],
        message: 'set either SERVICENOW_TOKEN or SERVICENOW_USER and SERVICENOW_PASSWORD, not both',
      });
      return;
    }
    if (env.SERVICENOW_TOKEN !== undefined) return;
    if (env.SERVICENOW_USER === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['SERVICENOW_USER'],
        message: 'required unless SERVICENOW_TOKEN is set: the integration user',
      });
    }
    if (env.SERVICENOW_PASSWORD === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['SERVICENOW_PASSWORD'],
        message: 'required unless SERVICENOW_TOKEN is set: the integration user password',
      });
    }
  });

/**
 * Reads SERVICENOW_URL, SERVICENOW_USER and SERVICENOW_PASSWORD (basic auth) or SERVICENOW_TOKEN
 * (an OAuth bearer token), SERVICENOW_TIMEOUT_MS (10000), SERVICENOW_SERVICE_ID_FIELD
 * (u_service_id) and SERVICENOW_SMS_PREFERENCE_FIELD (u_prefers_sms). Empty values count as
 * unset. Throws a ConfigError naming each bad variable (secrets are never echoed).
 */
export function cmdbConfigFromEnv(env: Env): CmdbConfig {
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = parseEnv(cmdbEnvSchema, set);
  const auth: ServiceNowAuth =
    parsed.SERVICENOW_TOKEN !== undefined
      ? { kind: 'bearer', token: parsed.SERVICENOW_TOKEN }
      : { kind: 'basic', user: parsed.SERVICENOW_USER ?? '', password: parsed.SERVICENOW_PASSWORD ?? '' };
  return {
    url: parsed.SERVICENOW_URL.replace(/\/+$/, ''),
    auth,
    timeoutMs: parsed.SERVICENOW_TIMEOUT_MS,
    serviceIdField: parsed.SERVICENOW_SERVICE_ID_FIELD,
    smsPreferenceField: parsed.SERVICENOW_SMS_PREFERENCE_FIELD,
  };
}
