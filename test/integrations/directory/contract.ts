/**
 * What every Directory must do, run against each implementation: the embedded stand-in, the
 * LDAP adapter on slapd (OpenLDAP-shaped and AD-shaped) and on a real AD (Samba). All of them
 * serve Eagle5 from embedded/demo-org.ts, so the expectations are the same: the reads, and the
 * group membership writes (each test puts back what it changed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryNotFoundError } from '../../../integrations/directory/errors';
import type { Directory, GroupMemberships } from '../../../integrations/directory/types';
import { IntegrationError } from '../../../integrations/errors';
import type { SlapdInstance } from '../../support/slapd';

export interface ContractSubject {
  directory: Directory & GroupMemberships;
  passwordOf(accountName: string): string;
  teardown(): Promise<void>;
  /** The directory has no `manager` attributes (slapd with Debian's AD schema). */
  noManagers?: boolean;
}

/** Sign-in names built to widen an LDAP filter if they were ever pasted into one. */
export const injectionNames = [
  '*',
  '*)(uid=*',
  'admin)(|(a=*',
  'steve)(|(uid=*',
  '*)(sAMAccountName=*',
  'steve)(objectClass=*',
  'st*',
  '\\2a',
  'steve\u0000',
];

/** Group names built to widen a filter, or to name a group by DN (AD's Domain Admins), if they were ever pasted into one. */
export const groupInjectionNames = [
  '*',
  'Sales*',
  '*)(cn=*',
  'Sales)(|(cn=*',
  'Sales)(objectClass=*',
  'Sales\u0000',
  '\\2a',
  'cn=Sales,ou=Groups,dc=eagle5,dc=example',
  'CN=Domain Admins,CN=Users,DC=eagle5,DC=example',
  'Domain Admins',
];

/** The error a membership change gives for an unknown person or group. */
export async function expectNotFound(promise: Promise<unknown>, entry: 'person' | 'group'): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DirectoryNotFoundError);
  expect(err).toBeInstanceOf(IntegrationError);
  expect(err).toMatchObject({ system: 'directory', code: 'NotFound', retryable: false, entry });
}

/** The environment the worker would pass for this slapd (look-ups through directoryConfigFromEnv). */
export function envFor(s: SlapdInstance, extra: Record<string, string> = {}): Record<string, string> {
  return {
    LDAP_URL: s.url,
    LDAP_BIND_DN: s.bindDn,
    LDAP_BIND_PASSWORD: s.bindPassword,
    LDAP_USER_BASE_DN: s.userBaseDn,
    LDAP_GROUP_BASE_DN: s.groupBaseDn,
    LDAP_PRESET: s.preset,
    // slapd has no LDAP_MATCHING_RULE_IN_CHAIN: AD-shaped entries are expanded recursively here.
    LDAP_NESTED_GROUPS: 'recursive',
    LDAP_TIMEOUT_MS: '3000',
    ...extra,
  };
}

export function directoryContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`${name} (Directory contract)`, () => {
    let subject: ContractSubject;
    beforeAll(async () => {
      subject = await setup();
    });
    afterAll(async () => {
      await subject?.teardown();
    });

    it('signs a person in with their own password and returns them with nested groups', async () => {
      const result = await subject.directory.authenticate('steve', subject.passwordOf('steve'));
      expect(result).toEqual({
        ok: true,
        user: {
          accountName: 'steve',
          dn: expect.stringMatching(/steve|Steve Jones/) as unknown,
          displayName: 'Steve Jones',
          givenName: 'Steve',
          familyName: 'Jones',
          email: 'steve@eagle5.example',
          mobile: '+447700900123',
          enabled: true,
          groups: ['Sales', 'Sales EMEA'],
          manager: subject.noManagers ? null : 'mia',
        },
      });
    });

    it('gives one answer for a wrong password and for an unknown account', async () => {
      const wrong = await subject.directory.authenticate('steve', `${subject.passwordOf('steve')}x`);
      const otherPersonsPassword = await subject.directory.authenticate('steve', `${subject.passwordOf('tony')}!`);
      const unknown = await subject.directory.authenticate('nobody', subject.passwordOf('steve'));
      expect(wrong).toEqual({ ok: false, reason: 'invalid-credentials' });
      expect(otherPersonsPassword).toEqual(wrong);
      expect(unknown).toEqual(wrong);
    });

    it('refuses an empty password (an empty simple bind would be an anonymous one that succeeds)', async () => {
      expect(await subject.directory.authenticate('steve', '')).toEqual({ ok: false, reason: 'invalid-credentials' });
      expect(await subject.directory.authenticate('', '')).toEqual({ ok: false, reason: 'invalid-credentials' });
    });

    it('says account-disabled for a disabled account only once the password is proven', async () => {
      expect(await subject.directory.authenticate('olaf', subject.passwordOf('olaf'))).toEqual({
        ok: false,
        reason: 'account-disabled',
      });
      expect(await subject.directory.authenticate('olaf', `${subject.passwordOf('olaf')}x`)).toEqual({
        ok: false,
        reason: 'invalid-credentials',
      });
    });

    it('finds a person by account name, whatever the case, with every field', async () => {
      const dana = await subject.directory.findUser('DANA');
      expect(dana).toMatchObject({
        accountName: 'dana',
        displayName: 'Dana Kim',
        givenName: 'Dana',
        familyName: 'Kim',
        email: 'dana@eagle5.example',
        mobile: '+447700900789',
        enabled: true,
        // Outside Sales.
        groups: ['Finance'],
      });
      expect(await subject.directory.findUser(' steve ')).toMatchObject({ accountName: 'steve' });
      expect(await subject.directory.findUser('olaf')).toMatchObject({
        accountName: 'olaf',
        enabled: false,
        groups: ['Sales'],
      });
    });

    it('follows group nesting to any depth and across several direct groups', async () => {
      expect((await subject.directory.findUser('ivy'))?.groups).toEqual(['IT Staff', 'Service Desk']);
      expect((await subject.directory.findUser('mia'))?.groups).toEqual(['Managers', 'Sales']);
      expect((await subject.directory.findUser('tony'))?.groups).toEqual(['Sales']);
    });

    it('returns null for an unknown account', async () => {
      expect(await subject.directory.findUser('nobody')).toBeNull();
      expect(await subject.directory.findUser('')).toBeNull();
    });

    it('matches nobody for filter-injection strings, in look-ups and in sign-ins', async () => {
      for (const name of injectionNames) {
        expect(await subject.directory.findUser(name), name).toBeNull();
        expect(await subject.directory.authenticate(name, subject.passwordOf('steve')), name).toEqual({
          ok: false,
          reason: 'invalid-credentials',
        });
      }
    });

    it('adds a direct membership once (added, then already-member), and nested groups follow', async () => {
      const d = subject.directory;
      expect(await d.isMember('dana', 'Sales EMEA')).toBe(false);
      try {
        expect(await d.addMember('dana', 'Sales EMEA')).toBe('added');
        expect(await d.isMember('dana', 'Sales EMEA')).toBe(true);
        // Names in any case, with stray spaces, as everywhere else.
        expect(await d.addMember(' DANA ', 'sales emea')).toBe('already-member');
        expect((await d.findUser('dana'))?.groups).toEqual(['Finance', 'Sales', 'Sales EMEA']);
      } finally {
        await d.removeMember('dana', 'Sales EMEA');
      }
      expect((await d.findUser('dana'))?.groups).toEqual(['Finance']);
    });

    it('removes a direct membership once (removed, then not-a-member)', async () => {
      const d = subject.directory;
      expect(await d.isMember('tony', 'Sales')).toBe(true);
      try {
        expect(await d.removeMember('tony', 'Sales')).toBe('removed');
        expect(await d.isMember('tony', 'Sales')).toBe(false);
        expect(await d.removeMember('Tony', 'SALES')).toBe('not-a-member');
        expect((await d.findUser('tony'))?.groups).toEqual([]);
      } finally {
        await d.addMember('tony', 'Sales');
      }
      expect((await d.findUser('tony'))?.groups).toEqual(['Sales']);
    });

    it('is about direct membership: one through a nested group is neither reported nor removed', async () => {
      const d = subject.directory;
      // steve is in Sales through Sales EMEA only.
      expect(await d.isMember('steve', 'Sales')).toBe(false);
      expect(await d.isMember('steve', 'Sales EMEA')).toBe(true);
      expect(await d.removeMember('steve', 'Sales')).toBe('not-a-member');
      expect((await d.findUser('steve'))?.groups).toEqual(['Sales', 'Sales EMEA']);
    });

    it('makes each change once when the same change is asked for several times at once', async () => {
      const d = subject.directory;
      try {
        const adds = await Promise.all([1, 2, 3, 4].map(() => d.addMember('tony', 'Finance')));
        expect(adds.filter((r) => r === 'added')).toHaveLength(1);
        expect(adds.filter((r) => r === 'already-member')).toHaveLength(3);
        expect((await d.findUser('tony'))?.groups).toEqual(['Finance', 'Sales']);
        const removals = await Promise.all([1, 2, 3, 4].map(() => d.removeMember('tony', 'Finance')));
        expect(removals.filter((r) => r === 'removed')).toHaveLength(1);
        expect(removals.filter((r) => r === 'not-a-member')).toHaveLength(3);
      } finally {
        await d.removeMember('tony', 'Finance');
      }
      expect((await d.findUser('tony'))?.groups).toEqual(['Sales']);
    });

    it("changes a disabled person's memberships too (access must end after someone has left)", async () => {
      const d = subject.directory;
      try {
        expect(await d.removeMember('olaf', 'Sales')).toBe('removed');
        expect(await d.findUser('olaf')).toMatchObject({ enabled: false, groups: [] });
      } finally {
        expect(await d.addMember('olaf', 'Sales')).toBe('added');
      }
      expect((await d.findUser('olaf'))?.groups).toEqual(['Sales']);
    });

    it('says DirectoryNotFoundError (NotFound, not retryable) for an unknown person or group, and which', async () => {
      const d = subject.directory;
      for (const call of [d.addMember.bind(d), d.removeMember.bind(d), d.isMember.bind(d)]) {
        await expectNotFound(call('nobody', 'Sales'), 'person');
        await expectNotFound(call('', 'Sales'), 'person');
        await expectNotFound(call('dana', 'No Such Group'), 'group');
        await expectNotFound(call('dana', ''), 'group');
        // A group's name is not a person's, nor a person's a group's.
        await expectNotFound(call('Sales', 'Finance'), 'person');
        await expectNotFound(call('dana', 'steve'), 'group');
      }
    });

    it('finds no person and no group for injection strings or DNs, so nothing changes', async () => {
      const d = subject.directory;
      const everyone = ['steve', 'tony', 'dana', 'olaf', 'ivy', 'mia'];
      const before = await Promise.all(everyone.map(async (n) => (await d.findUser(n))?.groups));
      for (const name of injectionNames) {
        await expectNotFound(d.addMember(name, 'Finance'), 'person');
        await expectNotFound(d.removeMember(name, 'Sales'), 'person');
      }
      for (const name of groupInjectionNames) {
        await expectNotFound(d.addMember('dana', name), 'group');
        await expectNotFound(d.removeMember('steve', name), 'group');
        await expectNotFound(d.isMember('steve', name), 'group');
      }
      expect(await Promise.all(everyone.map(async (n) => (await d.findUser(n))?.groups))).toEqual(before);
    });
  });
}
