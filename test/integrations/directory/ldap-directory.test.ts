/**
 * The LDAP adapter against real slapd instances: OpenLDAP-shaped (uid, groupOfNames, ppolicy)
 * and AD-shaped (msuser.schema: sAMAccountName, userAccountControl). Connection counts come from
 * slapd's own cn=Monitor, not from the adapter.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { directoryConfigFromEnv } from '../../../integrations/directory/config';
import { classifyBindRefusal, createLdapDirectory } from '../../../integrations/directory/ldap-directory';
import type { Directory } from '../../../integrations/directory/types';
import { IntegrationError } from '../../../integrations/errors';
import { startSlapd, type SlapdInstance } from '../../support/servers';
import { directoryContract, envFor } from './contract';

for (const preset of ['openldap', 'active-directory'] as const) {
  directoryContract(`LDAP directory on slapd, ${preset} preset`, async () => {
    const slapd = await startSlapd({ preset });
    const directory = createLdapDirectory(directoryConfigFromEnv(envFor(slapd)));
    return {
      directory,
      passwordOf: slapd.passwordOf,
      async teardown() {
        await directory.close();
        await slapd.stop();
      },
    };
  });
}

async function expectIntegrationError(promise: Promise<unknown>, code: string, retryable: boolean): Promise<IntegrationError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IntegrationError);
  expect(err).toMatchObject({ system: 'directory', code, retryable });
  return err as IntegrationError;
}

describe('LDAP directory, openldap preset: server behaviour', () => {
  let slapd: SlapdInstance;
  let directory: Directory;
  beforeAll(async () => {
    slapd = await startSlapd({ preset: 'openldap' });
    directory = createLdapDirectory(directoryConfigFromEnv(envFor(slapd)));
  });
  afterAll(async () => {
    await directory?.close();
    await slapd?.stop();
  });

  it('keeps one service connection for many look-ups', async () => {
    const before = await slapd.connections();
    for (let i = 0; i < 10; i++) expect(await directory.findUser('steve')).not.toBeNull();
    await Promise.all(['dana', 'ivy', 'mia', 'tony'].map((n) => directory.findUser(n)));
    const after = await slapd.connections();
    expect(after.total - before.total).toBe(1);
  });

  it('checks a password on a connection of its own and closes it', async () => {
    await directory.findUser('steve');
    const before = await slapd.connections();
    expect(await directory.authenticate('steve', slapd.passwordOf('steve'))).toMatchObject({ ok: true });
    expect(await directory.authenticate('tony', 'wrong')).toMatchObject({ ok: false });
    const after = await slapd.connections();
    expect(after.total - before.total).toBe(2);
    await vi.waitFor(async () => expect((await slapd.connections()).current).toBe(before.current), { timeout: 2_000 });
  });

  it('refuses an empty password before any bind', async () => {
    await directory.findUser('steve');
    const before = await slapd.connections();
    expect(await directory.authenticate('steve', '')).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect((await slapd.connections()).total).toBe(before.total);
  });

  it('answers invalid-credentials when the server itself refuses a locked account (the right password is not confirmed)', async () => {
    expect(await directory.authenticate('lena', slapd.passwordOf('lena'))).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect(await directory.findUser('lena')).toMatchObject({ accountName: 'lena', enabled: false, groups: [] });
  });

  it('answers invalid-credentials for an entry that has no password at all', async () => {
    const dn = `uid=kiosk,${slapd.userBaseDn}`;
    await asAdmin(slapd, (admin) => admin.add(dn, { objectClass: 'inetOrgPerson', uid: 'kiosk', cn: 'Kiosk', sn: 'Kiosk' }));
    try {
      expect(await directory.authenticate('kiosk', 'anything')).toEqual({ ok: false, reason: 'invalid-credentials' });
    } finally {
      await asAdmin(slapd, (admin) => admin.del(dn));
    }
  });

  it('refuses to guess when two entries answer to one sign-in name (Conflict)', async () => {
    const dn = `uid=steve,ou=Service Accounts,${slapd.baseDn}`;
    await asAdmin(slapd, (admin) => admin.add(dn, { objectClass: 'inetOrgPerson', uid: 'steve', cn: 'Steve Impostor', sn: 'Impostor', userPassword: 'impostor' }));
    try {
      const directoryOverWholeTree = createLdapDirectory(directoryConfigFromEnv(envFor(slapd, { LDAP_USER_BASE_DN: slapd.baseDn })));
      try {
        await expectIntegrationError(directoryOverWholeTree.findUser('steve'), 'Conflict', false);
        await expectIntegrationError(directoryOverWholeTree.authenticate('steve', 'impostor'), 'Conflict', false);
      } finally {
        await directoryOverWholeTree.close();
      }
    } finally {
      await asAdmin(slapd, (admin) => admin.del(dn));
    }
  });

  it('reconnects after the server restarts', async () => {
    expect(await directory.findUser('steve')).not.toBeNull();
    await slapd.restart();
    const before = await slapd.connections();
    expect(await directory.findUser('steve')).toMatchObject({ accountName: 'steve', groups: ['Sales', 'Sales EMEA'] });
    expect((await slapd.connections()).total - before.total).toBe(1);
  });

  it('is Unavailable (retryable) while the server is down, and recovers', async () => {
    const down = createLdapDirectory(directoryConfigFromEnv(envFor(slapd, { LDAP_URL: `ldap://127.0.0.1:${await closedPort()}` })));
    try {
      await expectIntegrationError(down.findUser('steve'), 'Unavailable', true);
      await expectIntegrationError(down.authenticate('steve', slapd.passwordOf('steve')), 'Unavailable', true);
    } finally {
      await down.close();
    }
  });

  it('refuses bad service credentials as NotAuthorized, never as a failed sign-in', async () => {
    const badService = createLdapDirectory(directoryConfigFromEnv(envFor(slapd, { LDAP_BIND_PASSWORD: 'not-the-password' })));
    try {
      await expectIntegrationError(badService.findUser('steve'), 'NotAuthorized', false);
      const err = await expectIntegrationError(badService.authenticate('steve', slapd.passwordOf('steve')), 'NotAuthorized', false);
      expect(err.message).not.toContain('not-the-password');
    } finally {
      await badService.close();
    }
  });

  it('reports a search base that does not exist as InvalidRequest', async () => {
    const wrongBase = createLdapDirectory(directoryConfigFromEnv(envFor(slapd, { LDAP_USER_BASE_DN: 'ou=Nowhere,dc=eagle5,dc=example' })));
    try {
      await expectIntegrationError(wrongBase.findUser('steve'), 'InvalidRequest', false);
    } finally {
      await wrongBase.close();
    }
  });
});

describe('LDAP directory, active-directory preset: AD specifics', () => {
  let slapd: SlapdInstance;
  let directory: Directory;
  beforeAll(async () => {
    slapd = await startSlapd({ preset: 'active-directory' });
    directory = createLdapDirectory(directoryConfigFromEnv(envFor(slapd)));
  });
  afterAll(async () => {
    await directory?.close();
    await slapd?.stop();
  });

  it('signs in with the userPrincipalName too, reporting the sAMAccountName', async () => {
    const result = await directory.authenticate('Steve@Eagle5.example', slapd.passwordOf('steve'));
    expect(result).toMatchObject({ ok: true, user: { accountName: 'steve', dn: slapd.dnOf('steve') } });
  });

  it('with the in-chain strategy, notices that slapd ignores the rule and expands recursively', async () => {
    // Real AD answers the LDAP_MATCHING_RULE_IN_CHAIN search itself; slapd does not know the rule.
    const inChain = createLdapDirectory(directoryConfigFromEnv(envFor(slapd, { LDAP_NESTED_GROUPS: 'in-chain' })));
    try {
      expect((await inChain.findUser('steve'))?.groups).toEqual(['Sales', 'Sales EMEA']);
      expect((await inChain.findUser('ivy'))?.groups).toEqual(['IT Staff', 'Service Desk']);
    } finally {
      await inChain.close();
    }
  });

  it('reads userAccountControl bit 2 as disabled', async () => {
    expect(await directory.findUser('olaf')).toMatchObject({ enabled: false });
    expect(await directory.findUser('tony')).toMatchObject({ enabled: true });
  });
});

describe('classifyBindRefusal (AD bind diagnostics)', () => {
  const ad = (data: string) => `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data ${data}, v4563 Code: 0x31`;

  it('reads 533 (disabled) and 701 (expired) as account-disabled: AD sends them only for the right password', () => {
    expect(classifyBindRefusal(ad('533'))).toBe('account-disabled');
    expect(classifyBindRefusal(ad('701'))).toBe('account-disabled');
  });

  it('reads everything else as invalid credentials, including lock-out, which AD reports even for wrong passwords', () => {
    for (const data of ['52e', '525', '775', '530', '532', '773']) expect(classifyBindRefusal(ad(data)), data).toBe('invalid-credentials');
    expect(classifyBindRefusal('Invalid credentials Code: 0x31')).toBe('invalid-credentials');
  });
});

describe('LDAP directory: timeouts', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts connections and never says a word, like a server stuck behind a firewall.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => silent.close(resolve));
  });

  it('gives up after LDAP_TIMEOUT_MS as Unavailable (retryable)', async () => {
    const { port } = silent.address() as AddressInfo;
    const directory = createLdapDirectory(
      directoryConfigFromEnv({
        LDAP_URL: `ldap://127.0.0.1:${port}`,
        LDAP_BIND_DN: 'cn=svc,dc=example',
        LDAP_BIND_PASSWORD: 'pw',
        LDAP_BASE_DN: 'dc=example',
        LDAP_TIMEOUT_MS: '300',
      }),
    );
    try {
      const started = Date.now();
      await expectIntegrationError(directory.findUser('steve'), 'Unavailable', true);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await directory.close();
    }
  });
});

async function asAdmin<T>(slapd: SlapdInstance, work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ url: slapd.url });
  try {
    await admin.bind(slapd.adminDn, slapd.adminPassword);
    return await work(admin);
  } finally {
    await admin.unbind();
  }
}

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
