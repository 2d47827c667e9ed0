/**
 * Directory (Active Directory or OpenLDAP) settings from the environment. The worker calls
 * {@link directoryConfigFromEnv} at start-up; every problem is reported with the variable's name.
 *
 * One adapter serves both servers: what differs is only which attributes hold what, how a
 * disabled account is marked and how nested groups are resolved, all chosen by a preset.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError, parseEnv } from '../../config/env';

type Env = Record<string, string | undefined>;

export const directoryPresets = ['active-directory', 'openldap'] as const;
export type DirectoryPreset = (typeof directoryPresets)[number];

/**
 * How the groups a user belongs to through other groups are found.
 * - `in-chain`: one search under the group base with AD's LDAP_MATCHING_RULE_IN_CHAIN
 *   (`member:1.2.840.113556.1.4.1941:=<userDN>`); the server walks the nesting. Real AD (and
 *   Samba AD) only: slapd ignores the rule and finds nothing, in which case the adapter notices
 *   (a direct group under the base did not match) and expands recursively instead.
 * - `recursive`: read the user's `memberOf`, then each group's `memberOf`, level by level,
 *   wherever the groups live. Works on any server that keeps `memberOf` (OpenLDAP's memberof
 *   overlay, AD, Samba); costs one read per group instead of one search.
 */
export type NestedGroupStrategy = 'in-chain' | 'recursive';

/**
 * How a disabled account is recognised in its entry.
 * - `user-account-control`: AD; disabled when bit 2 (ACCOUNTDISABLE) of the integer is set.
 * - `attribute`: disabled when `attribute` holds `value` (any value when `value` is null).
 *   The OpenLDAP preset uses ppolicy's administrative lock, `pwdAccountLockedTime: 000001010000Z`.
 */
export type AccountDisabledRule =
  { kind: 'user-account-control'; attribute: string } | { kind: 'attribute'; attribute: string; value: string | null };

/** Where each piece of a person lives in the directory. */
export interface DirectoryAttributes {
  /** Becomes `DirectoryUser.accountName` (lower-cased). */
  accountName: string;
  /** A sign-in name is matched against each of these (equality, OR-ed). */
  signInNames: string[];
  displayName: string;
  givenName: string;
  familyName: string;
  email: string;
  mobile: string;
  /** On users: the DN of their manager (becomes `DirectoryUser.manager`, their account name). */
  manager: string;
  /** On users and groups: DNs of the groups the entry is a direct member of. */
  memberOf: string;
  /** On groups: DNs of the direct members (used by the in-chain search). */
  member: string;
  /** On groups: the name reported in `DirectoryUser.groups`. */
  groupName: string;
  /** Object class every person entry has. */
  userObjectClass: string;
  /** Object classes that share `userObjectClass` but are not people (AD computers are `user`s). */
  excludedObjectClasses: string[];
  groupObjectClass: string;
}

export interface LdapDirectoryConfig {
  /** `ldap://host[:port]` or `ldaps://host[:port]`. */
  url: string;
  /** Upgrade an `ldap://` connection with StartTLS before any bind. */
  startTls: boolean;
  /** PEM of the CA that signed the server's certificate; null: the system's CAs. */
  ca: string | null;
  /** The service account used for look-ups (never a person's account). */
  bindDn: string;
  bindPassword: string;
  userBaseDn: string;
  groupBaseDn: string;
  preset: DirectoryPreset;
  attributes: DirectoryAttributes;
  disabled: AccountDisabledRule;
  nestedGroups: NestedGroupStrategy;
  /** Limit for connecting (TCP + TLS + bind) and for every single operation. */
  timeoutMs: number;
}

/** The two presets. Both are plain data: override any field when building a config by hand. */
export const presetDefaults: Record<
  DirectoryPreset,
  { attributes: DirectoryAttributes; disabled: AccountDisabledRule; nestedGroups: NestedGroupStrategy }
> = {
  'active-directory': {
    attributes: {
      accountName: 'sAMAccountName',
      // People sign in as `steve` or as `steve@eagle5.example`, as they do on Windows.
      signInNames: ['sAMAccountName', 'userPrincipalName'],
      displayName: 'displayName',
      givenName: 'givenName',
      familyName: 'sn',
      email: 'mail',
      mobile: 'mobile',
      manager: 'manager',
      memberOf: 'memberOf',
      member: 'member',
      groupName: 'cn',
      userObjectClass: 'user',
      excludedObjectClasses: ['computer'],
      groupObjectClass: 'group',
    },
    disabled: { kind: 'user-account-control', attribute: 'userAccountControl' },
    nestedGroups: 'in-chain',
  },
  openldap: {
    attributes: {
      accountName: 'uid',
      signInNames: ['uid'],
      displayName: 'displayName',
      givenName: 'givenName',
      familyName: 'sn',
      email: 'mail',
      mobile: 'mobile',
      manager: 'manager',
      memberOf: 'memberOf',
      member: 'member',
      groupName: 'cn',
      userObjectClass: 'inetOrgPerson',
      excludedObjectClasses: [],
      groupObjectClass: 'groupOfNames',
    },
    disabled: { kind: 'attribute', attribute: 'pwdAccountLockedTime', value: '000001010000Z' },
    nestedGroups: 'recursive',
  },
};

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

// A light check only: the server is the judge of DN syntax, but a value without `=` is
// certainly a mistake (e.g. a user name where a DN belongs).
const dn = (example: string) =>
  z.string({ error: `required: a DN, e.g. ${example}` }).regex(/^[A-Za-z][\w.-]*=\S/, `must be a DN, e.g. ${example}`);

const attributeName = z.string().regex(/^[A-Za-z][\w-]*$/, 'must be an attribute name such as pwdAccountLockedTime');

export const directoryEnvSchema = z
  .object({
    LDAP_URL: z.string({ error: 'required: the directory server, e.g. ldaps://dc1.eagle5.example' }).refine((v) => {
      try {
        const url = new URL(v);
        return (
          (url.protocol === 'ldap:' || url.protocol === 'ldaps:') &&
          url.hostname !== '' &&
          (url.pathname === '' || url.pathname === '/') &&
          url.search === ''
        );
      } catch {
        return false;
      }
    }, 'must be an ldap:// or ldaps:// URL with a host and no path, e.g. ldaps://dc1.eagle5.example:636'),
    LDAP_BIND_DN: dn('CN=svc-journeys,OU=Service Accounts,DC=eagle5,DC=example'),
    // Never allow an empty password here: an empty simple bind is an anonymous bind that "succeeds".
    LDAP_BIND_PASSWORD: z.string({ error: 'required: the service account password' }).min(1, 'must not be empty'),
    LDAP_BASE_DN: dn('DC=eagle5,DC=example').optional(),
    LDAP_USER_BASE_DN: dn('OU=Staff,DC=eagle5,DC=example').optional(),
    LDAP_GROUP_BASE_DN: dn('OU=Groups,DC=eagle5,DC=example').optional(),
    LDAP_PRESET: z
      .enum(directoryPresets, { error: 'must be active-directory or openldap' })
      .default('active-directory'),
    LDAP_NESTED_GROUPS: z.enum(['in-chain', 'recursive'], { error: 'must be in-chain or recursive' }).optional(),
    LDAP_DISABLED_ATTRIBUTE: attributeName.optional(),
    LDAP_DISABLED_VALUE: z.string().optional(),
    LDAP_STARTTLS: bool.default(false),
    LDAP_CA_FILE: z.string().optional(),
    LDAP_TIMEOUT_MS: z.coerce
      .number({ error: 'must be a number of milliseconds' })
      .int('must be a whole number of milliseconds')
      .min(100, 'must be at least 100')
      .max(120_000, 'must be at most 120000')
      .default(5_000),
    LDAP_ALLOW_PLAINTEXT: bool.default(false),
  })
  .superRefine((env, ctx) => {
    const url = URL.canParse(env.LDAP_URL) ? new URL(env.LDAP_URL) : null;
    if (
      env.LDAP_BASE_DN === undefined &&
      (env.LDAP_USER_BASE_DN === undefined || env.LDAP_GROUP_BASE_DN === undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['LDAP_BASE_DN'],
        message: 'required unless both LDAP_USER_BASE_DN and LDAP_GROUP_BASE_DN are set',
      });
    }
    if (env.LDAP_STARTTLS && url?.protocol === 'ldaps:') {
      ctx.addIssue({
        code: 'custom',
        path: ['LDAP_STARTTLS'],
        message: 'cannot be combined with an ldaps:// URL (already encrypted)',
      });
    }
    if (env.LDAP_NESTED_GROUPS === 'in-chain' && env.LDAP_PRESET !== 'active-directory') {
      ctx.addIssue({
        code: 'custom',
        path: ['LDAP_NESTED_GROUPS'],
        message: 'in-chain needs Active Directory (LDAP_PRESET=active-directory); use recursive',
      });
    }
    if (
      (env.LDAP_DISABLED_ATTRIBUTE !== undefined || env.LDAP_DISABLED_VALUE !== undefined) &&
      env.LDAP_PRESET !== 'openldap'
    ) {
      const variable = env.LDAP_DISABLED_ATTRIBUTE !== undefined ? 'LDAP_DISABLED_ATTRIBUTE' : 'LDAP_DISABLED_VALUE';
      ctx.addIssue({
        code: 'custom',
        path: [variable],
        message: 'only with LDAP_PRESET=openldap (AD marks disabled accounts in userAccountControl)',
      });
    }
    if (env.LDAP_DISABLED_VALUE !== undefined && env.LDAP_DISABLED_ATTRIBUTE === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['LDAP_DISABLED_ATTRIBUTE'],
        message: 'required when LDAP_DISABLED_VALUE is set',
      });
    }
    // Sign-in passwords cross this connection: refuse clear text to anything but this machine.
    if (url?.protocol === 'ldap:' && !env.LDAP_STARTTLS && !env.LDAP_ALLOW_PLAINTEXT && !isLoopback(url.hostname)) {
      ctx.addIssue({
        code: 'custom',
        path: ['LDAP_URL'],
        message:
          'sends passwords in clear text: use ldaps://, set LDAP_STARTTLS=true, or set LDAP_ALLOW_PLAINTEXT=true to accept the risk',
      });
    }
  });

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * Reads LDAP_URL, LDAP_BIND_DN, LDAP_BIND_PASSWORD, LDAP_BASE_DN (or LDAP_USER_BASE_DN and
 * LDAP_GROUP_BASE_DN, each overriding it), LDAP_PRESET (active-directory), LDAP_NESTED_GROUPS
 * (in-chain on AD, recursive on OpenLDAP), LDAP_DISABLED_ATTRIBUTE + LDAP_DISABLED_VALUE
 * (OpenLDAP only; default pwdAccountLockedTime = 000001010000Z; an attribute without a value
 * means "present = disabled"), LDAP_STARTTLS (false), LDAP_CA_FILE (PEM, read now so a wrong path
 * fails at start-up), LDAP_TIMEOUT_MS (5000) and LDAP_ALLOW_PLAINTEXT (false: plain ldap:// is
 * refused unless the server is on loopback). Empty values count as unset. Throws a ConfigError
 * naming each bad variable; the password is never shown.
 */
export function directoryConfigFromEnv(env: Env): LdapDirectoryConfig {
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = parseEnv(directoryEnvSchema, set);
  const preset = presetDefaults[parsed.LDAP_PRESET];
  const baseDn = parsed.LDAP_BASE_DN ?? '';
  const disabled: AccountDisabledRule =
    parsed.LDAP_DISABLED_ATTRIBUTE !== undefined
      ? { kind: 'attribute', attribute: parsed.LDAP_DISABLED_ATTRIBUTE, value: parsed.LDAP_DISABLED_VALUE ?? null }
      : preset.disabled;
  return {
    url: parsed.LDAP_URL,
    startTls: parsed.LDAP_STARTTLS,
    ca: parsed.LDAP_CA_FILE === undefined ? null : readCaFile(parsed.LDAP_CA_FILE),
    bindDn: parsed.LDAP_BIND_DN,
    bindPassword: parsed.LDAP_BIND_PASSWORD,
    userBaseDn: parsed.LDAP_USER_BASE_DN ?? baseDn,
    groupBaseDn: parsed.LDAP_GROUP_BASE_DN ?? baseDn,
    preset: parsed.LDAP_PRESET,
    attributes: {
      ...preset.attributes,
      signInNames: [...preset.attributes.signInNames],
      excludedObjectClasses: [...preset.attributes.excludedObjectClasses],
    },
    disabled,
    nestedGroups: parsed.LDAP_NESTED_GROUPS ?? preset.nestedGroups,
    timeoutMs: parsed.LDAP_TIMEOUT_MS,
  };
}

function readCaFile(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : 'unreadable';
    throw new ConfigError(`LDAP_CA_FILE: cannot read ${path} (${reason})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError(`LDAP_CA_FILE: ${path} is not a PEM certificate`);
  return pem;
}
