import type { Cmdb } from '../integrations/cmdb/types';
import type { Directory, GroupMemberships } from '../integrations/directory/types';
import type { ExperienceStore } from '../integrations/experience/types';
import type { Mailer } from '../integrations/email/types';
import type { SendLedger } from '../integrations/ledger/types';
import type { ProvisionerRegistry } from '../integrations/provisioning/types';
import type { SmsSender } from '../integrations/sms/types';

/** Settings the activities need besides the integrations (from worker config). */
export interface ActivitySettings {
  /** Where the portal is reachable for the links in messages, e.g. http://localhost:3000 */
  publicUrl: string;
  /** HMAC secret for the signed links in messages (confirmation links). */
  linkSecret: string;
  /** The service desk's mailbox: tickets and follow-up lists go there. */
  serviceDeskEmail: string;
}

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
}
