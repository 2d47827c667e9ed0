import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { directoryConfigFromEnv, presetDefaults } from '../../../integrations/directory/config';
import { ConfigError } from '../../../config/env';

const minimal = {
  LDAP_URL: 'ldaps://dc1.eagle5.example',
  LDAP_BIND_DN: 'CN=svc-journeys,OU=Service Accounts,DC=eagle5,DC=example',
  LDAP_BIND_PASSWORD: 'service-secret',
  LDAP_BASE_DN: 'DC=eagle5,DC=example',
};

function configError(env: Record<string, string | undefined>): string {
  try {
    directoryConfigFromEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('directoryConfigFromEnv', () => {
  it('applies the defaults: Active Directory, in-chain groups, 5 s timeout, system CAs', () => {
    expect(directoryConfigFromEnv({ ...minimal, LDAP_CA_FILE: '', LDAP_STARTTLS: '' })).toEqual({
      url: 'ldaps://dc1.eagle5.example',
      startTls: false,
      ca: null,
      bindDn: minimal.LDAP_BIND_DN,
      bindPassword: 'service-secret',
      userBaseDn: 'DC=eagle5,DC=example',
      groupBaseDn: 'DC=eagle5,DC=example',
      preset: 'active-directory',
      attributes: presetDefaults['active-directory'].attributes,
      disabled: { kind: 'user-account-control', attribute: 'userAccountControl' },
      nestedGroups: 'in-chain',
      timeoutMs: 5_000,
    });
  });

  it('reads every variable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sj-ldap-config-'));
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const config = directoryConfigFromEnv({
      LDAP_URL: 'ldap://ldap.eagle5.example:389',
      LDAP_BIND_DN: 'cn=svc,dc=eagle5,dc=example',
      LDAP_BIND_PASSWORD: 'pw',
      LDAP_USER_BASE_DN: 'ou=People,dc=eagle5,dc=example',
      LDAP_GROUP_BASE_DN: 'ou=Groups,dc=eagle5,dc=example',
      LDAP_PRESET: 'openldap',
      LDAP_DISABLED_ATTRIBUTE: 'employeeType',
      LDAP_DISABLED_VALUE: 'left',
      LDAP_STARTTLS: 'true',
      LDAP_CA_FILE: caFile,
      LDAP_TIMEOUT_MS: '2500',
    });
    expect(config).toMatchObject({
      startTls: true,
      userBaseDn: 'ou=People,dc=eagle5,dc=example',
      groupBaseDn: 'ou=Groups,dc=eagle5,dc=example',
      preset: 'openldap',
      attributes: { accountName: 'uid', groupObjectClass: 'groupOfNames' },
      disabled: { kind: 'attribute', attribute: 'employeeType', value: 'left' },
      nestedGroups: 'recursive',
      timeoutMs: 2500,
    });
    expect(config.ca).toContain('BEGIN CERTIFICATE');
  });

  it('marks OpenLDAP accounts disabled by ppolicy lock unless told otherwise', () => {
    expect(directoryConfigFromEnv({ ...minimal, LDAP_PRESET: 'openldap' }).disabled).toEqual({
      kind: 'attribute',
      attribute: 'pwdAccountLockedTime',
      value: '000001010000Z',
    });
  });

  it('names each bad variable and hides the password', () => {
    const message = configError({
      LDAP_URL: 'http://dc1.eagle5.example',
      LDAP_BIND_DN: 'svc-journeys',
      LDAP_BIND_PASSWORD: 'secret-value',
      LDAP_PRESET: 'novell',
      LDAP_TIMEOUT_MS: 'soon',
      LDAP_STARTTLS: 'maybe',
    });
    expect(message).toContain('LDAP_URL: must be an ldap:// or ldaps:// URL');
    expect(message).toContain('LDAP_BIND_DN: must be a DN');
    expect(message).toContain('LDAP_PRESET: must be active-directory or openldap');
    expect(message).toContain('LDAP_TIMEOUT_MS: must be a number of milliseconds');
    expect(message).toContain('LDAP_STARTTLS: must be true or false');
    expect(message).not.toContain('secret-value');
  });

  it('requires the URL, the service account and a base', () => {
    const message = configError({});
    expect(message).toContain('LDAP_URL: required');
    expect(message).toContain('LDAP_BIND_DN: required');
    expect(message).toContain('LDAP_BIND_PASSWORD: required');
    expect(configError({ ...minimal, LDAP_BASE_DN: undefined, LDAP_USER_BASE_DN: 'ou=People,dc=x' })).toContain(
      'LDAP_BASE_DN: required unless both LDAP_USER_BASE_DN and LDAP_GROUP_BASE_DN are set',
    );
  });

  it('never accepts an empty service password (an empty bind is anonymous)', () => {
    // Empty counts as unset, so the message is "required".
    expect(configError({ ...minimal, LDAP_BIND_PASSWORD: '' })).toContain('LDAP_BIND_PASSWORD: required');
  });

  it('refuses combinations that cannot work', () => {
    expect(configError({ ...minimal, LDAP_STARTTLS: 'true' })).toContain(
      'LDAP_STARTTLS: cannot be combined with an ldaps:// URL',
    );
    expect(configError({ ...minimal, LDAP_PRESET: 'openldap', LDAP_NESTED_GROUPS: 'in-chain' })).toContain(
      'LDAP_NESTED_GROUPS: in-chain needs Active Directory',
    );
    expect(configError({ ...minimal, LDAP_DISABLED_ATTRIBUTE: 'employeeType' })).toContain(
      'LDAP_DISABLED_ATTRIBUTE: only with LDAP_PRESET=openldap',
    );
    expect(configError({ ...minimal, LDAP_PRESET: 'openldap', LDAP_DISABLED_VALUE: 'x' })).toContain(
      'LDAP_DISABLED_ATTRIBUTE: required when LDAP_DISABLED_VALUE is set',
    );
  });

  it('refuses clear-text LDAP to another machine unless the risk is accepted', () => {
    const plain = { ...minimal, LDAP_URL: 'ldap://dc1.eagle5.example' };
    expect(configError(plain)).toContain('LDAP_URL: sends passwords in clear text');
    expect(directoryConfigFromEnv({ ...plain, LDAP_STARTTLS: 'true' }).startTls).toBe(true);
    expect(directoryConfigFromEnv({ ...plain, LDAP_ALLOW_PLAINTEXT: 'true' }).url).toBe('ldap://dc1.eagle5.example');
    expect(directoryConfigFromEnv({ ...minimal, LDAP_URL: 'ldap://127.0.0.1:3389' }).url).toBe('ldap://127.0.0.1:3389');
  });

  it('reads the CA file at start-up and names it when it is wrong', async () => {
    expect(configError({ ...minimal, LDAP_CA_FILE: '/nonexistent/ca.pem' })).toMatch(
      /^LDAP_CA_FILE: cannot read \/nonexistent\/ca.pem \(ENOENT\)/,
    );
    const dir = await mkdtemp(join(tmpdir(), 'sj-ldap-config-'));
    const notPem = join(dir, 'ca.txt');
    await writeFile(notPem, 'hello');
    expect(configError({ ...minimal, LDAP_CA_FILE: notPem })).toContain('LDAP_CA_FILE: ');
    expect(configError({ ...minimal, LDAP_CA_FILE: notPem })).toContain('is not a PEM certificate');
  });

  it('bounds the timeout', () => {
    expect(configError({ ...minimal, LDAP_TIMEOUT_MS: '10' })).toContain('LDAP_TIMEOUT_MS: must be at least 100');
  });
});
