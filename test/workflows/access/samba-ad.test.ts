/** The access journeys against a real Active Directory: a Samba AD DC over LDAPS, in-chain groups. */
import { afterAll } from 'vitest';
import { directoryConfigFromEnv } from '../../../integrations/directory/config';
import { createLdapDirectory } from '../../../integrations/directory/ldap-directory';
import { startIntegrationEnv } from '../../support/integration-env';
import { startSambaAd, type SambaAdInstance } from '../../support/servers';
import { accessJourneySuite } from './suite';

let dc: SambaAdInstance | undefined;
afterAll(async () => {
  await dc?.stop();
}, 30_000);

accessJourneySuite('access journeys on a Samba AD DC (active-directory preset)', async () => {
  dc = await startSambaAd();
  const directory = createLdapDirectory(
    directoryConfigFromEnv({
      LDAP_URL: dc.url,
      LDAP_CA_FILE: dc.caFile,
      LDAP_BIND_DN: dc.bindDn,
      LDAP_BIND_PASSWORD: dc.bindPassword,
      LDAP_USER_BASE_DN: dc.userBaseDn,
      LDAP_GROUP_BASE_DN: dc.groupBaseDn,
      LDAP_PRESET: 'active-directory',
      LDAP_NESTED_GROUPS: 'in-chain',
      LDAP_TIMEOUT_MS: '5000',
    }),
  );
  return startIntegrationEnv({ directory });
});
