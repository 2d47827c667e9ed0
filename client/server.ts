/**
 * Starts the portal and API listening: used by `npm start` (embedded/start.ts) and by the API
 * process (client/main.ts). The caller owns the Temporal client and the integrations.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import type { LocalSecrets } from '../config/local-secrets';
import type { Cmdb } from '../integrations/cmdb/types';
import type { Directory } from '../integrations/directory/types';
import { createExperienceStoreFromConfig, experienceConfigFromEnv } from '../integrations/experience/config';
import type { ExperienceStore } from '../experience/types';
import type { Outbox } from '../integrations/outbox/types';
import type { CoreConfig } from '../config/core';
import { createLogger } from '../config/logger';
import { publicUrl } from '../config/settings';
import { apiKeysFromEnv, type ApiKeyEntry } from './api/keys';
import { buildApp } from './app';
import { environment } from '../config/env';
import { eventRoutesOf, webhooksConfigFromEnv } from '../wiring/webhooks-config';
import type { EventRoute } from '../workflows/shared/event-types';

/** What `npm start` and the API process hand the server (they own and close these). */
export interface ApiServerDeps {
  config: CoreConfig;
  secrets: Pick<LocalSecrets, 'sessionSecret' | 'linkSecret'>;
  client: Client;
  directory: Directory;
  cmdb: Cmdb;
  outbox: Outbox | null;
  /**
   * The experience store the journeys write to (the caller readies and closes it). Default: one
   * built from EXPERIENCE_DATABASE_URL / DATA_DIR, readied here and closed with the server.
   */
  experience?: ExperienceStore;
  /** Where the Temporal UI is (links on the IT console); null hides the links. */
  temporalUiUrl: string | null;
  /** Default: parsed from API_KEYS / API_KEYS_FILE in the environment. */
  apiKeys?: readonly ApiKeyEntry[];
  /** Webhook subscriptions new journeys tell (names and event types). Default: from WEBHOOKS in the environment. */
  events?: EventRoute[];
  /** Default: the project's pino logger at LOG_LEVEL (pretty outside production). */
  logger?: PinoLogger | false;
}

/** A listening portal and API. */
export interface ApiServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  /** Stops accepting connections and waits for requests in flight. */
  close(): Promise<void>;
}

/**
 * Builds the app and listens on `listen` (default HTTP_HOST:HTTP_PORT from the config).
 * Throws a ConfigError when API_KEYS (or, without `deps.experience`, EXPERIENCE_DATABASE_URL) is
 * malformed, before anything listens.
 */
export async function startApiServer(
  deps: ApiServerDeps,
  listen?: { host?: string; port?: number },
): Promise<ApiServer> {
  const apiKeys = deps.apiKeys ?? apiKeysFromEnv(environment());
  const events = deps.events ?? eventRoutesOf(webhooksConfigFromEnv(environment()));
  // Without a store from the caller, this server owns one: readied now, closed with the app.
  const ownsStore = deps.experience === undefined;
  const experience =
    deps.experience ?? createExperienceStoreFromConfig(experienceConfigFromEnv(environment(), deps.config.DATA_DIR));
  try {
    if (ownsStore) await experience.ready();
    const app = await buildApp({
      temporal: deps.client,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      directory: deps.directory,
      cmdb: deps.cmdb,
      outbox: deps.outbox,
      experience,
      apiKeys,
      logger:
        deps.logger ?? createLogger({ level: deps.config.LOG_LEVEL, pretty: deps.config.NODE_ENV !== 'production' }),
      config: {
        publicUrl: publicUrl(deps.config),
        sessionSecret: deps.secrets.sessionSecret,
        linkSecret: deps.secrets.linkSecret,
        temporalUiUrl: deps.temporalUiUrl,
        namespace: deps.config.TEMPORAL_NAMESPACE,
        ...(events ? { events } : {}),
      },
    });
    if (ownsStore) app.addHook('onClose', () => experience.close());
    const url = await app.listen({
      host: listen?.host ?? deps.config.HTTP_HOST,
      port: listen?.port ?? deps.config.HTTP_PORT,
    });
    return { app, url, close: () => app.close() };
  } catch (err) {
    if (ownsStore) await experience.close().catch(() => undefined);
    throw err;
  }
}
