/** The access journeys against a real Active Directory: a Samba AD DC over LDAPS, in-chain groups. */
import { afterAll } from 'vitest';
import { directoryConfigFromEnv } from '../../../integrations/directory/config';
import { createLdapDirectory } from '../../../integrations/directory/ldap-directory';
import { startIntegrationEnv } from '../../support/integration-env';
import { sambaDirectoryEnv, startSambaAd, type SambaAdInstance } from '../../support/servers';
import { accessJourneySuite } from './suite';

let dc: SambaAdInstance | undefined;
afterAll(async () => {
  await dc?.stop();
}, 30_000);

accessJourneySuite('access journeys on a Samba AD DC (active-directory preset)', async () => {
  dc = await startSambaAd();
  const directory = createLdapDirectory(directoryConfigFromEnv(sambaDirectoryEnv(dc)));
  return startIntegrationEnv({ directory });
});
