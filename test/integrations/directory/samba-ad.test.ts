/**
 * The LDAP adapter, `active-directory` preset with `in-chain` nested groups, against a real
 * Active Directory: a throwaway Samba AD domain controller over LDAPS with a CA file, as in
 * production. Unlike slapd with msuser.schema, the DC answers LDAP_MATCHING_RULE_IN_CHAIN itself,
 * keeps memberOf, refuses a disabled account's bind with `data 533` and simple binds in clear
 * text, answers a membership change with AD's own result codes and enforces AD's access control
 * on it (the service account is delegated write of `member` on OU=Groups only).
 *
 * One DC for this whole file; startSambaAd waits while another test run's DC is up.
 */
import { readFile } from 'node:fs/promises';
import { Attribute, Change, Client, EqualityFilter, ExtensibleFilter, ResultCodeError } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryConfigFromEnv } from '../../../integrations/directory/config';
import { DirectoryPermissionDeniedError } from '../../../integrations/directory/errors';
import { escapeDnValue } from '../../../integrations/directory/escape';
import { classifyBindRefusal, createLdapDirectory } from '../../../integrations/directory/ldap-directory';
import type { Directory, GroupMemberships } from '../../../integrations/directory/types';
import { IntegrationError } from '../../../integrations/errors';
import { sambaDirectoryEnv, startSambaAd, type SambaAdInstance } from '../../support/servers';
import { directoryContract, expectNotFound } from './contract';

let dc: SambaAdInstance;

beforeAll(async () => {
  dc = await startSambaAd();
  const t = dc.timings;
  console.info(
    `Samba AD DC: provisioned in ${t.provisionMs} ms, started in ${t.startMs} ms, seeded in ${t.seedMs} ms (waited ${t.lockWaitMs} ms for the DC lock)`,
  );
}, 420_000);

afterAll(async () => {
  await dc?.stop();
}, 30_000);

/** The environment the worker would pass for this DC. */
const envFor = (extra: Record<string, string> = {}) => sambaDirectoryEnv(dc, extra);

directoryContract('LDAP directory on a Samba AD DC over LDAPS, active-directory preset, in-chain', () => {
  // The DC is up already (file-level beforeAll runs first); only the adapter is per suite.
  const directory = createLdapDirectory(directoryConfigFromEnv(envFor()));
  return Promise.resolve({
    directory,
    passwordOf: (name: string) => dc.passwordOf(name),
    teardown: () => directory.close(),
  });
});

async function withAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = await dc.admin();
  try {
    return await work(admin);
  } finally {
    await admin.unbind().catch(() => undefined);
  }
}

const replace = (type: string, value: string) =>
  new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });

async function bindRefusal(dn: string, password: string): Promise<ResultCodeError> {
  const client = new Client({ url: dc.url, tlsOptions: { ca: await readFile(dc.caFile, 'utf8') } });
  try {
    const err = await client.bind(dn, password).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ResultCodeError);
    return err as ResultCodeError;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

describe('LDAP directory on a Samba AD DC: AD specifics', () => {
  let directory: Directory & GroupMemberships;
  beforeAll(() => {
    directory = createLdapDirectory(directoryConfigFromEnv(envFor()));
  });
  afterAll(async () => {
    await directory?.close();
  });

  it('signs in with the userPrincipalName too, reporting the sAMAccountName', async () => {
    const result = await directory.authenticate('Steve@Eagle5.example', dc.passwordOf('steve'));
    expect(result).toMatchObject({
      ok: true,
      user: { accountName: 'steve', dn: dc.dnOf('steve'), groups: ['Sales', 'Sales EMEA'] },
    });
  });

  it('gets nested groups from the DC through LDAP_MATCHING_RULE_IN_CHAIN, not by walking memberOf', async () => {
    // The server walks the chain itself, straight through a group outside the group base; the
    // adapter then reports only groups under the base. Walking memberOf would also report the
    // outside group, so this answer can only come from the in-chain search.
    const outside = `CN=Regional Leads,CN=Users,${dc.baseDn}`;
    const managers = `CN=Managers,${dc.groupBaseDn}`;
    await withAdmin(async (admin) => {
      await admin.add(outside, { objectClass: 'group', sAMAccountName: 'Regional Leads', member: [dc.dnOf('tony')] });
      await admin.modify(managers, [
        new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [outside] }) }),
      ]);
    });
    try {
      const { searchEntries } = await withAdmin((admin) =>
        admin.search(dc.groupBaseDn, {
          filter: new ExtensibleFilter({
            matchType: 'member',
            rule: '1.2.840.113556.1.4.1941',
            value: dc.dnOf('tony'),
          }),
          attributes: ['cn'],
        }),
      );
      expect(searchEntries.map((e) => e.cn).sort()).toEqual(['Managers', 'Sales']);
      expect((await directory.findUser('tony'))?.groups).toEqual(['Managers', 'Sales']);

      const recursive = createLdapDirectory(directoryConfigFromEnv(envFor({ LDAP_NESTED_GROUPS: 'recursive' })));
      try {
        expect((await recursive.findUser('tony'))?.groups).toEqual(['Managers', 'Regional Leads', 'Sales']);
      } finally {
        await recursive.close();
      }
    } finally {
      await withAdmin(async (admin) => {
        await admin.modify(managers, [
          new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [outside] }) }),
        ]);
        await admin.del(outside);
      });
    }
  });

  it('refuses a disabled account with "data 533" only for the right password, which the adapter reads as disabled', async () => {
    const right = await bindRefusal(dc.dnOf('olaf'), dc.passwordOf('olaf'));
    expect(right.message).toMatch(/\bdata 533\b/);
    expect(classifyBindRefusal(right.message)).toBe('account-disabled');
    const wrong = await bindRefusal(dc.dnOf('olaf'), `${dc.passwordOf('olaf')}x`);
    expect(wrong.message).toMatch(/\bdata 52e\b/);
    expect(classifyBindRefusal(wrong.message)).toBe('invalid-credentials');
  });

  it('reads userAccountControl bit 2 as disabled, whatever other flags are set, and follows changes', async () => {
    expect(await directory.authenticate('tony', dc.passwordOf('tony'))).toMatchObject({ ok: true });
    // 66050 = NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD | ACCOUNTDISABLE, as AD tools commonly leave it.
    await withAdmin((admin) => admin.modify(dc.dnOf('tony'), [replace('userAccountControl', '66050')]));
    try {
      expect(await directory.findUser('tony')).toMatchObject({ accountName: 'tony', enabled: false });
      expect(await directory.authenticate('tony', dc.passwordOf('tony'))).toEqual({
        ok: false,
        reason: 'account-disabled',
      });
      expect(await directory.authenticate('tony', 'wrong')).toEqual({ ok: false, reason: 'invalid-credentials' });
    } finally {
      await withAdmin((admin) => admin.modify(dc.dnOf('tony'), [replace('userAccountControl', '512')]));
    }
    expect(await directory.findUser('tony')).toMatchObject({ enabled: true });
    expect(await directory.authenticate('tony', dc.passwordOf('tony'))).toMatchObject({ ok: true });
  });

  it("leaves out the DC's computer account (objectClass user + computer) when searching the whole domain", async () => {
    const wholeDomain = createLdapDirectory(directoryConfigFromEnv(envFor({ LDAP_USER_BASE_DN: dc.baseDn })));
    try {
      const computer = await withAdmin((admin) =>
        admin.search(dc.baseDn, { filter: '(sAMAccountName=dc1$)', attributes: ['objectClass'] }),
      );
      expect(computer.searchEntries).toHaveLength(1);
      expect(await wholeDomain.findUser('dc1$')).toBeNull();
      expect(await wholeDomain.findUser('steve')).toMatchObject({
        accountName: 'steve',
        groups: ['Sales', 'Sales EMEA'],
      });
    } finally {
      await wholeDomain.close();
    }
  });

  it('is refused in clear text by the DC (so the tests above really used LDAPS): NotAuthorized, not retryable', async () => {
    const plain = createLdapDirectory(directoryConfigFromEnv(envFor({ LDAP_URL: dc.plainUrl, LDAP_CA_FILE: '' })));
    try {
      const err = await plain.findUser('steve').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(IntegrationError);
      expect(err).toMatchObject({ code: 'NotAuthorized', retryable: false });
      expect((err as Error).message).toMatch(/encrypted connection/);
    } finally {
      await plain.close();
    }
  });

  it("does not trust the DC's certificate without the CA file: NotAuthorized, not retryable", async () => {
    const untrusting = createLdapDirectory(directoryConfigFromEnv(envFor({ LDAP_CA_FILE: '' })));
    try {
      const err = await untrusting.findUser('steve').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'NotAuthorized', retryable: false });
      expect((err as Error).message).toMatch(/LDAP_CA_FILE/);
    } finally {
      await untrusting.close();
    }
  });
});

describe('LDAP directory on a Samba AD DC: group membership writes', () => {
  let directory: Directory & GroupMemberships;
  beforeAll(() => {
    directory = createLdapDirectory(directoryConfigFromEnv(envFor()));
  });
  afterAll(async () => {
    await directory?.close();
  });

  const group = (name: string) => `CN=${escapeDnValue(name)},${dc.groupBaseDn}`;
  const memberChange = (operation: 'add' | 'delete', value: string) =>
    new Change({ operation, modification: new Attribute({ type: 'member', values: [value] }) });
  const inChainGroups = (personDn: string) =>
    withAdmin(async (admin) => {
      const { searchEntries } = await admin.search(dc.groupBaseDn, {
        filter: new ExtensibleFilter({ matchType: 'member', rule: '1.2.840.113556.1.4.1941', value: personDn }),
        attributes: ['cn'],
      });
      return searchEntries.map((e) => String(e.cn)).sort();
    });

  it('answers an add of a member already there with 68 and a removal of a missing one with 53, which the adapter counts as done', async () => {
    // What the adapter relies on, straight from the DC.
    const codeOf = (work: (admin: Client) => Promise<unknown>) =>
      withAdmin((admin) =>
        work(admin).then(
          () => 0,
          (e: unknown) => (e instanceof ResultCodeError ? e.code : -1),
        ),
      );
    expect(await codeOf((admin) => admin.modify(group('Finance'), memberChange('add', dc.dnOf('dana'))))).toBe(68);
    expect(await codeOf((admin) => admin.modify(group('Finance'), memberChange('delete', dc.dnOf('steve'))))).toBe(53);
    expect(await directory.addMember('dana', 'Finance')).toBe('already-member');
    expect(await directory.removeMember('steve', 'Finance')).toBe('not-a-member');
  });

  it('writes member with the DN the DC returned; AD fills in memberOf and the in-chain rule sees the new nesting', async () => {
    expect(await directory.addMember('dana', 'Sales EMEA')).toBe('added');
    try {
      const { searchEntries } = await withAdmin((admin) =>
        admin.search(dc.dnOf('dana'), { scope: 'base', attributes: ['memberOf'] }),
      );
      expect([searchEntries[0]?.memberOf].flat().map(String).sort()).toEqual([group('Finance'), group('Sales EMEA')]);
      expect(await inChainGroups(dc.dnOf('dana'))).toEqual(['Finance', 'Sales', 'Sales EMEA']);
      expect(await directory.authenticate('dana@eagle5.example', dc.passwordOf('dana'))).toMatchObject({
        ok: true,
        user: { groups: ['Finance', 'Sales', 'Sales EMEA'] },
      });
    } finally {
      expect(await directory.removeMember('dana', 'Sales EMEA')).toBe('removed');
    }
    expect(await inChainGroups(dc.dnOf('dana'))).toEqual(['Finance']);
  });

  it('refuses an account without the delegation: DirectoryPermissionDeniedError (NotAuthorized, not retryable); it still reads', async () => {
    const reader = createLdapDirectory(
      directoryConfigFromEnv(envFor({ LDAP_BIND_DN: dc.readOnlyBindDn, LDAP_BIND_PASSWORD: dc.readOnlyBindPassword })),
    );
    try {
      expect(await reader.isMember('tony', 'Sales')).toBe(true);
      // One call at a time: a second promise made up front could reject before anything awaits it.
      for (const change of [() => reader.addMember('dana', 'Sales EMEA'), () => reader.removeMember('tony', 'Sales')]) {
        const err = await change().then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(DirectoryPermissionDeniedError);
        expect(err).toMatchObject({ system: 'directory', code: 'NotAuthorized', retryable: false });
        expect((err as Error).message).toMatch(/insufficient access rights/);
      }
      expect(await directory.isMember('dana', 'Sales EMEA')).toBe(false);
      expect(await directory.isMember('tony', 'Sales')).toBe(true);
    } finally {
      await reader.close();
    }
  });

  it("cannot reach AD's own groups: Domain Admins is not under the group base, and the DC refuses it even when the base is the whole domain", async () => {
    await expectNotFound(directory.addMember('steve', 'Domain Admins'), 'group');
    await expectNotFound(directory.addMember('steve', `CN=Domain Admins,CN=Users,${dc.baseDn}`), 'group');
    const wholeDomain = createLdapDirectory(directoryConfigFromEnv(envFor({ LDAP_GROUP_BASE_DN: dc.baseDn })));
    try {
      const err = await wholeDomain.addMember('steve', 'Domain Admins').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DirectoryPermissionDeniedError);
      expect(await wholeDomain.isMember('steve', 'Domain Admins')).toBe(false);
      // Administrator is in it, but not under the user base: not a person this adapter knows.
      await expectNotFound(wholeDomain.isMember('Administrator', 'Domain Admins'), 'person');
    } finally {
      await wholeDomain.close();
    }
  });

  it("takes only a person for a member: the DC's computer account is not one, even with the whole domain as user base", async () => {
    const wholeDomain = createLdapDirectory(directoryConfigFromEnv(envFor({ LDAP_USER_BASE_DN: dc.baseDn })));
    try {
      await expectNotFound(wholeDomain.addMember('dc1$', 'Sales'), 'person');
      expect(await wholeDomain.addMember('steve', 'Sales EMEA')).toBe('already-member');
    } finally {
      await wholeDomain.close();
    }
  });

  it('handles people and groups whose DNs need RFC 4514 escaping (a group made after the delegation, too)', async () => {
    const groupName = '#CRM users; "Sales, EMEA" + <all>\\';
    const personCn = "O'Brien, Pat = #1";
    const personDn = `CN=${escapeDnValue(personCn)},${dc.userBaseDn}`;
    await withAdmin(async (admin) => {
      await admin.add(personDn, {
        objectClass: 'user',
        sAMAccountName: 'pat',
        userPrincipalName: 'pat@eagle5.example',
        sn: "O'Brien",
        mail: 'pat@eagle5.example',
      });
      await admin.add(group(groupName), { objectClass: 'group', sAMAccountName: 'crm-users-odd' });
    });
    try {
      // The DC spells DNs its own way; the adapter writes back whatever it returned.
      const { searchEntries } = await withAdmin((admin) =>
        admin.search(dc.userBaseDn, {
          filter: new EqualityFilter({ attribute: 'sAMAccountName', value: 'pat' }),
          attributes: ['cn'],
        }),
      );
      expect(searchEntries[0]?.cn).toBe(personCn);
      expect(await directory.addMember('pat', groupName)).toBe('added');
      expect(await directory.addMember('PAT', groupName)).toBe('already-member');
      expect(await directory.isMember('pat', groupName)).toBe(true);
      expect((await directory.findUser('pat'))?.groups).toEqual([groupName]);
      expect(await directory.removeMember('pat', groupName)).toBe('removed');
      expect(await directory.removeMember('pat', groupName)).toBe('not-a-member');
      expect((await directory.findUser('pat'))?.groups).toEqual([]);
    } finally {
      await withAdmin(async (admin) => {
        await admin.del(group(groupName));
        await admin.del(personDn);
      });
    }
  });
});
