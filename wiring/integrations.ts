/**
 * Wires the outside systems for every process that runs activities or reads their stores (the
 * worker, the API, `npm start`, the scripts): the production adapters from their environment variables, or the
 * embedded stand-ins (`INTEGRATIONS=embedded`, the default for `npm start`) under DATA_DIR.
 * The send ledger follows the same split: PostgreSQL in production (shared by every worker,
 * integrations/ledger/config.ts), the JSON-lines file in DATA_DIR for the embedded default.
 */
import { join } from 'node:path';
import type { ActivityDeps } from '../activities/deps';
import type { ActivitySettings } from '../config/settings';
import { cmdbConfigFromEnv } from '../integrations/cmdb/config';
import { createFileCmdb } from '../integrations/cmdb/file-cmdb';
import { createServiceNowCmdb } from '../integrations/cmdb/servicenow-cmdb';
import { directoryConfigFromEnv } from '../integrations/directory/config';
import { createEmbeddedDirectory } from '../integrations/directory/embedded-directory';
import { createLdapDirectory } from '../integrations/directory/ldap-directory';
import { emailConfigFromEnv } from '../integrations/email/config';
import { createOutboxMailer } from '../integrations/email/outbox-mailer';
import { createSmtpMailer } from '../integrations/email/smtp-mailer';
import { createLedgerFromConfig, ledgerConfigFromEnv } from '../integrations/ledger/config';
import { createFileOutbox } from '../integrations/outbox/file-outbox';
import type { Outbox } from '../integrations/outbox/types';
import { createExperienceStoreFromConfig, experienceConfigFromEnv } from '../integrations/experience/config';
import { provisioningConfigFromEnv, createScimRegistry } from '../integrations/provisioning/config';
import { createEmbeddedProvisioners } from '../integrations/provisioning/embedded-provisioner';
import { smsConfigFromEnv } from '../integrations/sms/config';
import { createOutboxSms } from '../integrations/sms/outbox-sms';
import { createTwilioSms } from '../integrations/sms/twilio-sms';
import type { CoreConfig } from '../config/core';
import { demoCmdbData, demoOrganisation } from '../embedded/demo-org';
import { webhookSenderOf, webhooksConfigFromEnv } from './webhooks-config';

type Env = Record<string, string | undefined>;

export interface Integrations {
  deps: ActivityDeps;
  /** Only in the embedded default: what the journeys "sent", for the portal's outbox page. */
  outbox: Outbox | null;
  close(): Promise<void>;
}

/**
 * Builds every integration. Configuration errors of the production adapters surface here, at
 * start-up, as ConfigErrors naming the variable.
 */
export function createIntegrations(
  config: CoreConfig,
  settings: ActivitySettings,
  env: Env,
  embedded: { demoPassword: string },
): Integrations {
  const dataDir = config.DATA_DIR;
  // First, so a production worker without a shared ledger stops before anything else is opened.
  const { ledger, close: closeLedger } = createLedgerFromConfig(
    ledgerConfigFromEnv(env, { integrations: config.INTEGRATIONS, dataDir }),
  );
  const experience = createExperienceStoreFromConfig(experienceConfigFromEnv(env, dataDir));
  const webhooks = webhookSenderOf(webhooksConfigFromEnv(env));
  if (config.INTEGRATIONS === 'embedded') {
    const outbox = createFileOutbox(join(dataDir, 'outbox.jsonl'));
    // Group membership changes (access grants) survive a restart, as the journeys that made them do.
    const directory = createEmbeddedDirectory({
      organisation: demoOrganisation,
      password: embedded.demoPassword,
      membershipsFile: join(dataDir, 'directory-memberships.json'),
    });
    return {
      deps: {
        directory,
        cmdb: createFileCmdb(join(dataDir, 'cmdb.json'), demoCmdbData()),
        mailer: createOutboxMailer(outbox),
        sms: createOutboxSms(outbox),
        provisioners: createEmbeddedProvisioners(join(dataDir, 'accounts.json')),
        ledger,
        experience,
        settings,
        webhooks,
      },
      outbox,
      close: async () => {
        await Promise.allSettled([directory.close(), experience.close(), closeLedger()]);
      },
    };
  }
  const directory = createLdapDirectory(directoryConfigFromEnv(env));
  const mailer = createSmtpMailer(emailConfigFromEnv(env));
  return {
    deps: {
      directory,
      cmdb: createServiceNowCmdb(cmdbConfigFromEnv(env)),
      mailer,
      sms: createTwilioSms(smsConfigFromEnv(env)),
      provisioners: createScimRegistry(provisioningConfigFromEnv(env)),
      ledger,
      experience,
      settings,
      webhooks,
    },
    outbox: null,
    close: async () => {
      await Promise.allSettled([directory.close(), mailer.close(), experience.close(), closeLedger()]);
    },
  };
}
