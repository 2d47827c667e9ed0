/**
 * What every Directory must do, run against each implementation: the embedded stand-in and the
 * LDAP adapter on slapd (OpenLDAP-shaped and AD-shaped). All of them serve Eagle5 from
 * embedded/demo-org.ts, so the expectations are the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Directory } from '../../../integrations/directory/types';
import type { SlapdInstance } from '../../support/slapd';

export interface ContractSubject {
  directory: Directory;
  passwordOf(accountName: string): string;
  teardown(): Promise<void>;
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
      expect(await subject.directory.authenticate('olaf', subject.passwordOf('olaf'))).toEqual({ ok: false, reason: 'account-disabled' });
      expect(await subject.directory.authenticate('olaf', `${subject.passwordOf('olaf')}x`)).toEqual({ ok: false, reason: 'invalid-credentials' });
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
      expect(await subject.directory.findUser('olaf')).toMatchObject({ accountName: 'olaf', enabled: false, groups: ['Sales'] });
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
        expect(await subject.directory.authenticate(name, subject.passwordOf('steve')), name).toEqual({ ok: false, reason: 'invalid-credentials' });
      }
    });
  });
}
