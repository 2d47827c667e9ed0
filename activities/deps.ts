import type { Cmdb } from '../integrations/cmdb/types';
import type { Directory, GroupMemberships } from '../integrations/directory/types';
import type { ExperienceStore } from '../experience/types';
import type { Mailer } from '../integrations/email/types';
import type { SendLedger } from '../integrations/ledger/types';
import type { ProvisionerRegistry } from '../integrations/provisioning/types';
import type { SmsSender } from '../integrations/sms/types';
import type { ActivitySettings } from '../config/settings';
import type { WebhookSender } from '../integrations/webhooks/standard-webhooks';

/** Everything activities talk to: injected, so tests pass real adapters on test servers. */
export interface ActivityDeps {
  /** Reads, and the group memberships access requests grant and remove. */
  directory: Directory & GroupMemberships;
  cmdb: Cmdb;
  mailer: Mailer;
  sms: SmsSender;
  provisioners: ProvisionerRegistry;
  ledger: SendLedger;
  /** Experience metrics (time to outcome, NPS…), written by activities so a retry never counts twice. */
  experience: ExperienceStore;
  settings: ActivitySettings;
  /** Journey events to webhook subscribers (wiring/webhooks-config.ts); absent or null: nobody subscribed. */
  webhooks?: WebhookSender | null;
}
