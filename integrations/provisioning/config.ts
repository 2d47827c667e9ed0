/**
 * SCIM settings per application from the environment, and the registry that hands the
 * journeys one provisioner per application.
 */
import { z } from 'zod';
import { ConfigError, parseEnv } from '../../config/env';
import { IntegrationError } from '../errors';
import { createScimProvisioner, type ScimProvisionerConfig } from './scim-provisioner';
import type { AccountProvisioner, ProvisionerRegistry } from './types';

type Env = Record<string, string | undefined>;

export interface ProvisioningConfig {
  /** By application id (`expensatron`). */
  applications: Record<string, ScimProvisionerConfig>;
}

const defaultTimeoutMs = 10_000;

const timeout = z.coerce
  .number({ error: 'must be a number of milliseconds' })
  .int('must be a whole number of milliseconds')
  .min(100, 'must be at least 100')
  .max(120_000, 'must be at most 120000');

const scimUrl = z.url({
  protocol: /^https?$/,
  error: 'must be the SCIM base URL, such as https://expensatron.example/scim/v2',
});
const bearer = z
  .string({ error: 'required: the bearer token the application issued for provisioning' })
  .min(8, 'looks too short for a bearer token');

/** `EXPENSATRON` → `expensatron`, `TRAVEL_DESK` → `travel-desk`. */
export function applicationIdOf(envName: string): string {
  return envName.toLowerCase().replace(/_/g, '-');
}

/** The variable-name part for an application id: `travel-desk` → `TRAVEL_DESK`. */
export function envNameOf(applicationId: string): string {
  return applicationId.toUpperCase().replace(/-/g, '_');
}

/**
 * Reads one application per `SCIM_<APP>_URL` (any name: `SCIM_EXPENSATRON_URL`), each with
 * `SCIM_<APP>_TOKEN` (required) and `SCIM_<APP>_TIMEOUT_MS` (else `SCIM_TIMEOUT_MS`, else
 * 10000). `<APP>` becomes the application id in lower case with `_` as `-`. A token without a
 * URL is reported too. Empty values count as unset. No application at all is fine (nothing to
 * provision). Throws a ConfigError naming each bad variable; tokens are never echoed.
 */
export function provisioningConfigFromEnv(env: Env): ProvisioningConfig {
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')) as Record<
    string,
    string
  >;
  const apps = new Set<string>();
  for (const key of Object.keys(set)) {
    const m = /^SCIM_([A-Z0-9]+(?:_[A-Z0-9]+)*?)_(URL|TOKEN|TIMEOUT_MS)$/.exec(key);
    if (m) apps.add(m[1]!);
  }

  const shape: Record<string, z.ZodType> = { SCIM_TIMEOUT_MS: timeout.default(defaultTimeoutMs) };
  for (const app of apps) {
    shape[`SCIM_${app}_URL`] = z
      .string({
        error: `required: the SCIM base URL of ${applicationIdOf(app)} (SCIM_${app}_TOKEN or _TIMEOUT_MS is set)`,
      })
      .pipe(scimUrl);
    shape[`SCIM_${app}_TOKEN`] = bearer;
    shape[`SCIM_${app}_TIMEOUT_MS`] = timeout.optional();
  }
  const parsed = parseEnv(z.object(shape), set) as Record<string, unknown>;

  const applications: Record<string, ScimProvisionerConfig> = {};
  for (const app of [...apps].sort()) {
    applications[applicationIdOf(app)] = {
      baseUrl: String(parsed[`SCIM_${app}_URL`]).replace(/\/+$/, ''),
      bearerToken: String(parsed[`SCIM_${app}_TOKEN`]),
      timeoutMs: Number(parsed[`SCIM_${app}_TIMEOUT_MS`] ?? parsed.SCIM_TIMEOUT_MS),
    };
  }
  return { applications };
}

/**
 * One SCIM provisioner per configured application, made on first use and reused. Asking for an
 * application without settings throws a permanent `NotFound` that names the variables to set.
 */
export function createScimRegistry(config: ProvisioningConfig): ProvisionerRegistry {
  for (const id of Object.keys(config.applications)) {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(id))
      throw new ConfigError(`provisioning: "${id}" is not an application id (lower case letters, digits and -)`);
  }
  const made = new Map<string, AccountProvisioner>();
  return (applicationId: string): AccountProvisioner => {
    const id = applicationId.trim().toLowerCase();
    const settings = Object.hasOwn(config.applications, id) ? config.applications[id] : undefined;
    if (settings === undefined) {
      const known = Object.keys(config.applications);
      throw new IntegrationError(
        'provisioning',
        'NotFound',
        `no SCIM settings for application "${applicationId}": set SCIM_${envNameOf(id)}_URL and SCIM_${envNameOf(id)}_TOKEN` +
          ` (configured: ${known.length > 0 ? known.join(', ') : 'none'})`,
        false,
      );
    }
    let provisioner = made.get(id);
    if (provisioner === undefined) {
      provisioner = createScimProvisioner(settings);
      made.set(id, provisioner);
    }
    return provisioner;
  };
}
