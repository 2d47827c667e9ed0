/**
 * The LDAP adapter over TLS against a slapd that demands it (`security tls=1`): StartTLS and
 * LDAPS with a CA file from a throwaway CA, and the failures an operator must fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryConfigFromEnv } from '../../../integrations/directory/config';
import { createLdapDirectory } from '../../../integrations/directory/ldap-directory';
import { IntegrationError } from '../../../integrations/errors';
import { startSlapd, type SlapdInstance } from '../../support/servers';
import { envFor } from './contract';

describe('LDAP directory over TLS', () => {
  let slapd: SlapdInstance;
  beforeAll(async () => {
    slapd = await startSlapd({ preset: 'openldap', tls: true });
  });
  afterAll(async () => {
    await slapd?.stop();
  });

  async function attempt(env: Record<string, string>) {
    const directory = createLdapDirectory(directoryConfigFromEnv(envFor(slapd, env)));
    try {
      return {
        user: await directory.findUser('steve'),
        signIn: await directory.authenticate('steve', slapd.passwordOf('steve')),
      };
    } finally {
      await directory.close();
    }
  }

  async function failure(env: Record<string, string>): Promise<unknown> {
    return attempt(env).then(
      () => null,
      (err: unknown) => err,
    );
  }

  it('upgrades ldap:// with StartTLS, trusting the CA file', async () => {
    const { user, signIn } = await attempt({ LDAP_STARTTLS: 'true', LDAP_CA_FILE: slapd.caFile! });
    expect(user).toMatchObject({ accountName: 'steve', groups: ['Sales', 'Sales EMEA'] });
    expect(signIn).toMatchObject({ ok: true });
  });

  it('speaks LDAPS, trusting the CA file', async () => {
    const { user, signIn } = await attempt({ LDAP_URL: slapd.ldapsUrl!, LDAP_CA_FILE: slapd.caFile! });
    expect(user).toMatchObject({ accountName: 'steve' });
    expect(signIn).toMatchObject({ ok: true });
  });

  it('is refused in clear text by this server (so the tests above really used TLS): NotAuthorized, not retryable', async () => {
    const err = await failure({});
    expect(err).toBeInstanceOf(IntegrationError);
    expect(err).toMatchObject({ code: 'NotAuthorized', retryable: false });
    expect((err as Error).message).toMatch(/encrypted connection/);
  });

  it('does not trust the server certificate without the CA file: NotAuthorized, not retryable', async () => {
    const withoutCa: Record<string, string>[] = [{ LDAP_URL: slapd.ldapsUrl! }, { LDAP_STARTTLS: 'true' }];
    for (const env of withoutCa) {
      const err = await failure(env);
      expect(err).toBeInstanceOf(IntegrationError);
      expect(err).toMatchObject({ code: 'NotAuthorized', retryable: false });
      expect((err as Error).message).toMatch(/LDAP_CA_FILE/);
    }
  });
});
