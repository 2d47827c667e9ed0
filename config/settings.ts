import { join } from 'node:path';
import { loadOrCreateLocalSecrets, type LocalSecrets } from './local-secrets';
import { ConfigError } from './env';
import type { CoreConfig } from './core';

/** Settings the activities need besides the integrations (from the core config and the secrets). */
export interface ActivitySettings {
  /** Where the portal is reachable for the links in messages, e.g. http://localhost:3000 */
  publicUrl: string;
  /** HMAC secret for the signed links in messages (confirmation links). */
  linkSecret: string;
  /** The service desk's mailbox: tickets and follow-up lists go there. */
  serviceDeskEmail: string;
}

export function publicUrl(config: CoreConfig): string {
  return (config.PUBLIC_URL ?? `http://localhost:${config.HTTP_PORT}`).replace(/\/$/, '');
}

/**
 * Secrets from the environment; in the embedded default, missing ones are made once and kept
 * in DATA_DIR (see config/local-secrets.ts). Production refuses to start without them.
 */
export function requireSecrets(config: CoreConfig): LocalSecrets {
  if (config.INTEGRATIONS === 'production') {
    if (!config.SESSION_SECRET || !config.LINK_SECRET)
      throw new ConfigError('SESSION_SECRET and LINK_SECRET are required');
    return { sessionSecret: config.SESSION_SECRET, linkSecret: config.LINK_SECRET, demoPassword: '', demoApiKey: null };
  }
  const local = loadOrCreateLocalSecrets(join(config.DATA_DIR));
  return {
    sessionSecret: config.SESSION_SECRET ?? local.sessionSecret,
    linkSecret: config.LINK_SECRET ?? local.linkSecret,
    demoPassword: local.demoPassword,
    demoApiKey: local.demoApiKey,
  };
}

export function activitySettings(config: CoreConfig, secrets: LocalSecrets): ActivitySettings {
  return { publicUrl: publicUrl(config), linkSecret: secrets.linkSecret, serviceDeskEmail: config.SERVICE_DESK_EMAIL };
}
