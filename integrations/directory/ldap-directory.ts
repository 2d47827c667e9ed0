/**
 * The production directory: Active Directory or OpenLDAP over LDAP (ldapts).
 *
 * Look-ups and group membership changes run on one long-lived connection bound as the service
 * account; a person's password is checked by binding as that person on a separate connection
 * that is closed straight away. Every value that reaches a filter goes in as an ldapts filter
 * object, so it travels as a BER value and can never change the filter's structure; no DN is
 * ever built from a caller's value (people and groups are found by searching, and only DNs the
 * server returned are written back; `escape.ts` is for whoever must build one).
 */
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import {
  AndFilter,
  Attribute,
  Change,
  Client,
  EqualityFilter,
  ExtensibleFilter,
  NotFilter,
  OrFilter,
  ResultCodeError,
} from 'ldapts';
import type { Entry, Filter } from 'ldapts';
import { z } from 'zod';
import { IntegrationError } from '../errors';
import type { LdapDirectoryConfig } from './config';
import { DirectoryNotFoundError, DirectoryPermissionDeniedError, DirectoryUnavailableError, quoted } from './errors';
import type {
  AddMemberResult,
  AuthenticationResult,
  Directory,
  DirectoryUser,
  GroupMemberships,
  RemoveMemberResult,
} from './types';

/** AD's LDAP_MATCHING_RULE_IN_CHAIN: the server follows `member` links transitively. */
const IN_CHAIN_RULE = '1.2.840.113556.1.4.1941';
/** userAccountControl ACCOUNTDISABLE. */
const UAC_ACCOUNTDISABLE = 0x2;
const MAX_ACCOUNT_NAME_LENGTH = 256;
// Longer than any real password (AD allows 256), short enough not to be a free amplifier.
const MAX_PASSWORD_LENGTH = 1024;
// A user in more groups than this is a data problem, not a sign-in.
const MAX_GROUPS = 2000;
// Group reads in flight at once on the shared connection during recursive expansion.
const GROUP_READ_BATCH = 32;

const LDAP_INVALID_CREDENTIALS = 49;
const LDAP_NO_SUCH_OBJECT = 32;
const LDAP_INSUFFICIENT_ACCESS_RIGHTS = 50;
const LDAP_OBJECT_CLASS_VIOLATION = 65;
/**
 * What servers answer to adding a member that is one already: constraintViolation (19),
 * attributeOrValueExists (20, OpenLDAP), entryAlreadyExists (68, AD and Samba). Only a read
 * afterwards tells "already a member" from a real constraint, so each is checked.
 */
const MEMBER_MAY_EXIST = new Set([19, 20, 68]);
/**
 * What servers answer to removing a member that is not one: noSuchAttribute (16, OpenLDAP),
 * unwillingToPerform (53, AD and Samba: "Attribute member doesn't exist"), constraintViolation (19).
 */
const MEMBER_MAY_BE_MISSING = new Set([16, 19, 53]);
/** strongerAuthRequired, confidentialityRequired, timeLimitExceeded, busy, unavailable. */
const SERVER_SIDE_BIND_FAILURES = new Set([8, 13, 3, 51, 52]);

const INVALID: AuthenticationResult = { ok: false, reason: 'invalid-credentials' };
const DISABLED: AuthenticationResult = { ok: false, reason: 'account-disabled' };

/**
 * Reads Active Directory's reason for refusing a bind from the diagnostic text of result 49,
 * e.g. `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 533, v4563`.
 *
 * AD reports `533` (account disabled) and `701` (account expired) only when the password was
 * right; everything else, including `775` (locked out, reported even for a wrong password),
 * `52e` (wrong password) and `525` (no such user), counts as invalid credentials so that the
 * answer never tells a guesser more than "no". Non-AD servers send no such code: always invalid.
 */
export function classifyBindRefusal(diagnostic: string): 'account-disabled' | 'invalid-credentials' {
  const code = /\bdata ([0-9a-f]{1,8})\b/i.exec(diagnostic)?.[1]?.toLowerCase();
  return code === '533' || code === '701' ? 'account-disabled' : 'invalid-credentials';
}

/**
 * A {@link Directory} over LDAP, configured by {@link LdapDirectoryConfig} (see `config.ts` for
 * the presets and `directoryConfigFromEnv`).
 *
 * - Connection: one service-account connection, opened on first use and reused by every call;
 *   when it has been closed (idle timeout, server restart) it is opened again. A call that
 *   fails on a reused connection because the connection broke is tried once more on a fresh
 *   one; nothing else is retried here (the activity's retry policy does that).
 * - Errors: unreachable server, timeouts, busy/unavailable answers → `Unavailable` (retryable);
 *   refused service credentials, missing read rights, a server that demands TLS, an untrusted
 *   certificate → `NotAuthorized`; a bad search base → `InvalidRequest`; two entries for one
 *   sign-in name → `Conflict`; entries without the expected attributes → `UnexpectedResponse`.
 * - Group memberships ({@link GroupMemberships}): the service account changes `member` of a
 *   group under the group base; it needs write access to that attribute there and nothing more
 *   (AD: delegate "Modify the membership of a group" on the groups' OU). Refused →
 *   {@link DirectoryPermissionDeniedError}; unknown person or group → {@link DirectoryNotFoundError}.
 * - Every method is idempotent and safe to retry: the reads trivially, the membership changes
 *   because "already a member" and "not a member" count as done.
 */
export function createLdapDirectory(config: LdapDirectoryConfig): Directory & GroupMemberships {
  // An empty password would turn every look-up into an anonymous one that "works".
  if (config.bindPassword === '')
    throw new Error('createLdapDirectory: the service account password must not be empty');
  const attrs = config.attributes;
  const url = new URL(config.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const tlsOptions: ConnectionOptions = {
    ...(config.ca === null ? {} : { ca: config.ca }),
    minVersion: 'TLSv1.2',
    // SNI may not carry an IP address (RFC 6066); Node then checks the certificate against `host`.
    ...(isIP(host) === 0 ? { servername: host } : {}),
  };
  const userAttributes = unique([
    attrs.accountName,
    attrs.displayName,
    attrs.givenName,
    attrs.familyName,
    attrs.email,
    attrs.mobile,
    attrs.manager,
    attrs.memberOf,
    config.disabled.attribute,
  ]);

  /** Connects (TLS as configured) and binds; the whole of it within one timeout. */
  async function open(dn: string, password: string): Promise<Client> {
    const client = new Client({
      url: config.url,
      timeout: config.timeoutMs,
      connectTimeout: config.timeoutMs,
      // Only for ldaps://: ldapts would otherwise speak TLS from the first byte on ldap:// too.
      ...(url.protocol === 'ldaps:' ? { tlsOptions } : {}),
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        (async () => {
          if (config.startTls) await client.startTLS({ ...tlsOptions, host });
          await client.bind(dn, password);
        })(),
        new Promise<never>((_, reject) => {
          // ldapts has no limit on the StartTLS handshake itself.
          timer = setTimeout(
            () => reject(new Error(`no answer within ${config.timeoutMs} ms while connecting`)),
            config.timeoutMs,
          );
        }),
      ]);
      return client;
    } catch (err) {
      await quietlyClose(client);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  let service: Promise<Client> | null = null;
  let serviceClient: Client | null = null;
  let closed = false;

  function serviceConnection(): Promise<Client> {
    if (service === null) {
      const opening = open(config.bindDn, config.bindPassword).then(
        (client) => {
          serviceClient = client;
          return client;
        },
        (err: unknown) => {
          if (service === opening) service = null;
          throw toIntegrationError(err, 'connecting as the service account');
        },
      );
      service = opening;
    }
    return service;
  }

  function drop(client: Client): void {
    if (serviceClient === client) {
      serviceClient = null;
      service = null;
    }
    void quietlyClose(client);
  }

  async function withService<T>(doing: string, operation: (client: Client) => Promise<T>): Promise<T> {
    if (closed) throw new Error('the directory has been closed');
    for (let attempt = 1; ; attempt++) {
      const reused = service !== null;
      const client = await serviceConnection();
      if (!client.isBound) {
        // Closed since last use (idle timeout, restart): open a fresh one.
        drop(client);
        if (attempt < 3) continue;
        throw toIntegrationError(new SessionLost(), doing);
      }
      try {
        const result = await operation(client);
        // ldapts silently reconnects WITHOUT binding when the socket closed under it; anything
        // read that way was read anonymously and must not be trusted.
        if (!client.isBound) throw new SessionLost();
        return result;
      } catch (err) {
        // An error on a connection ldapts re-opened anonymously (AD: "a successful bind must be
        // completed") is a lost session too, not the directory's answer.
        if (isConnectionFailure(err) || !client.isBound) {
          drop(client);
          if (reused && attempt === 1) continue;
        }
        throw toIntegrationError(err, doing);
      }
    }
  }

  /** The person's entry, or null. Throws Conflict when the name matches several entries. */
  async function findEntry(client: Client, name: string): Promise<Entry | null> {
    const filters: Filter[] = [
      equals('objectClass', attrs.userObjectClass),
      ...attrs.excludedObjectClasses.map((oc) => new NotFilter({ filter: equals('objectClass', oc) })),
      attrs.signInNames.length === 1
        ? equals(attrs.signInNames[0] ?? '', name)
        : new OrFilter({ filters: attrs.signInNames.map((a) => equals(a, name)) }),
    ];
    const { searchEntries } = await client.search(config.userBaseDn, {
      scope: 'sub',
      filter: new AndFilter({ filters }),
      attributes: userAttributes,
      sizeLimit: 2,
    });
    if (searchEntries.length > 1) {
      throw new IntegrationError(
        'directory',
        'Conflict',
        `${searchEntries.length} directory entries match the sign-in name "${name}"`,
        false,
      );
    }
    return searchEntries[0] ?? null;
  }

  async function groupNames(client: Client, user: ParsedUser): Promise<string[]> {
    if (config.nestedGroups === 'in-chain') {
      const names = await inChainGroupNames(client, user);
      // A server without the rule (slapd) treats the filter as Undefined and returns nothing. On
      // AD a direct group under the base always matches, so nothing plus such a group means the
      // rule was ignored: expand recursively rather than silently drop every group.
      const base = dnKey(config.groupBaseDn);
      const hasDirectGroupUnderBase = user.memberOf.some((dn) => dnKey(dn).endsWith(`,${base}`));
      if (names.length > 0 || !hasDirectGroupUnderBase) return names;
    }
    return recursiveGroupNames(client, user);
  }

  async function inChainGroupNames(client: Client, user: ParsedUser): Promise<string[]> {
    const { searchEntries } = await client.search(config.groupBaseDn, {
      scope: 'sub',
      filter: new AndFilter({
        filters: [
          equals('objectClass', attrs.groupObjectClass),
          new ExtensibleFilter({ matchType: attrs.member, rule: IN_CHAIN_RULE, value: user.dn }),
        ],
      }),
      attributes: [attrs.groupName],
      paged: { pageSize: 500 },
    });
    const names = new Set<string>();
    for (const entry of searchEntries) {
      const name = valuesOf(entry).get(attrs.groupName.toLowerCase())?.[0];
      if (name) names.add(name);
    }
    return [...names].sort();
  }

  /** Follows memberOf from the user through every group, level by level (wherever the groups live). */
  async function recursiveGroupNames(client: Client, user: ParsedUser): Promise<string[]> {
    const names = new Set<string>();
    const seen = new Set<string>();
    let frontier = user.memberOf;
    while (frontier.length > 0) {
      const batch = frontier.filter((dn) => !seen.has(dnKey(dn)));
      batch.forEach((dn) => seen.add(dnKey(dn)));
      if (seen.size > MAX_GROUPS) {
        throw new IntegrationError(
          'directory',
          'UnexpectedResponse',
          `${user.accountName} is in more than ${MAX_GROUPS} groups`,
          false,
        );
      }
      const next: string[] = [];
      for (let i = 0; i < batch.length; i += GROUP_READ_BATCH) {
        const groups = await Promise.all(batch.slice(i, i + GROUP_READ_BATCH).map((dn) => readGroup(client, dn)));
        for (const group of groups) {
          if (group === null) continue;
          names.add(group.name);
          next.push(...group.memberOf);
        }
      }
      frontier = next;
    }
    return [...names].sort();
  }

  /** A group's name and parents; null for a dangling `memberOf` value or a non-group entry. */
  async function readGroup(client: Client, dn: string): Promise<{ name: string; memberOf: string[] } | null> {
    try {
      const { searchEntries } = await client.search(dn, {
        scope: 'base',
        filter: equals('objectClass', attrs.groupObjectClass),
        attributes: [attrs.groupName, attrs.memberOf],
      });
      const entry = searchEntries[0];
      if (entry === undefined) return null;
      const values = valuesOf(entry);
      const name = values.get(attrs.groupName.toLowerCase())?.[0];
      return name ? { name, memberOf: values.get(attrs.memberOf.toLowerCase()) ?? [] } : null;
    } catch (err) {
      if (err instanceof ResultCodeError && err.code === LDAP_NO_SUCH_OBJECT) return null;
      throw err;
    }
  }

  function parseUser(entry: Entry): ParsedUser {
    const values = valuesOf(entry);
    const first = (attribute: string): string => values.get(attribute.toLowerCase())?.[0]?.trim() ?? '';
    const givenName = first(attrs.givenName);
    const familyName = first(attrs.familyName);
    const accountName = first(attrs.accountName).toLowerCase();
    const candidate = {
      dn: entry.dn,
      accountName,
      displayName: first(attrs.displayName) || `${givenName} ${familyName}`.trim() || accountName,
      givenName,
      familyName,
      email: first(attrs.email),
      mobile: first(attrs.mobile) || null,
      enabled: !isDisabled(values.get(config.disabled.attribute.toLowerCase()) ?? []),
      memberOf: values.get(attrs.memberOf.toLowerCase()) ?? [],
      managerDn: first(attrs.manager) || null,
    };
    const parsed = parsedUserSchema.safeParse(candidate);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new IntegrationError(
        'directory',
        'UnexpectedResponse',
        `directory entry ${entry.dn} is not a usable person (${problems})`,
        false,
      );
    }
    return parsed.data;
  }

  function isDisabled(values: string[]): boolean {
    const rule = config.disabled;
    if (rule.kind === 'attribute') return rule.value === null ? values.length > 0 : values.includes(rule.value);
    const raw = values[0];
    if (raw === undefined) return false;
    if (!/^-?\d+$/.test(raw.trim())) {
      throw new IntegrationError(
        'directory',
        'UnexpectedResponse',
        `${rule.attribute} is not a number: "${raw}"`,
        false,
      );
    }
    return (Number.parseInt(raw, 10) & UAC_ACCOUNTDISABLE) !== 0;
  }

  async function toUser(client: Client, parsed: ParsedUser): Promise<DirectoryUser> {
    const { memberOf: _memberOf, managerDn, ...user } = parsed;
    return {
      ...user,
      groups: await groupNames(client, parsed),
      manager: managerDn === null ? null : await accountNameAt(client, managerDn),
    };
  }

  /** The account name of the person entry at `dn` (a DN the server gave us), or null. */
  async function accountNameAt(client: Client, dn: string): Promise<string | null> {
    try {
      const { searchEntries } = await client.search(dn, {
        scope: 'base',
        filter: equals('objectClass', attrs.userObjectClass),
        attributes: [attrs.accountName],
      });
      const name = searchEntries[0]?.[attrs.accountName];
      const value = Array.isArray(name) ? name[0] : name;
      return typeof value === 'string' && value.trim() !== '' ? value.trim().toLowerCase() : null;
    } catch (err) {
      if (err instanceof ResultCodeError && err.code === LDAP_NO_SUCH_OBJECT) return null;
      throw err;
    }
  }

  /** Binds as the person on a connection of its own and closes it whatever happens. */
  async function verifyPassword(dn: string, password: string): Promise<'verified' | 'refused' | 'disabled'> {
    let client: Client | undefined;
    try {
      client = await open(dn, password);
      return 'verified';
    } catch (err) {
      if (err instanceof ResultCodeError) {
        if (err.code === LDAP_INVALID_CREDENTIALS)
          return classifyBindRefusal(err.message) === 'account-disabled' ? 'disabled' : 'refused';
        // The server's own trouble, or TLS it demands: not the person's fault.
        if (SERVER_SIDE_BIND_FAILURES.has(err.code)) throw toIntegrationError(err, 'checking the password');
        // Any other refusal (inappropriateAuthentication, unwillingToPerform, ...) is about this
        // account: for the person it is simply "no", never "the directory is broken".
        return 'refused';
      }
      throw toIntegrationError(err, 'checking the password');
    } finally {
      if (client) await quietlyClose(client);
    }
  }

  /**
   * The one entry under `base` matching `filter`, by the DN the server gives it; null when none.
   * Only the DN is needed, so no attribute is read.
   */
  async function findOneDn(client: Client, base: string, filter: Filter, what: string): Promise<string | null> {
    const { searchEntries } = await client.search(base, { scope: 'sub', filter, attributes: ['1.1'], sizeLimit: 2 });
    if (searchEntries.length > 1) {
      throw new IntegrationError(
        'directory',
        'Conflict',
        `${searchEntries.length} directory entries match ${what}`,
        false,
      );
    }
    return searchEntries[0]?.dn ?? null;
  }

  /** The person's and the group's DNs, found by searching; DirectoryNotFoundError for either. */
  async function resolveMembership(
    client: Client,
    accountName: string,
    groupName: string,
  ): Promise<{ personDn: string; groupDn: string }> {
    const person = writeName(accountName);
    const group = writeName(groupName);
    const personDn =
      person === null
        ? null
        : await findOneDn(
            client,
            config.userBaseDn,
            new AndFilter({
              filters: [
                equals('objectClass', attrs.userObjectClass),
                ...attrs.excludedObjectClasses.map((oc) => new NotFilter({ filter: equals('objectClass', oc) })),
                equals(attrs.accountName, person),
              ],
            }),
            `the account name ${quoted(person)}`,
          );
    if (personDn === null)
      throw new DirectoryNotFoundError(
        'person',
        String(accountName),
        `no person with the account name ${quoted(accountName)} in the directory`,
      );
    const groupDn =
      group === null
        ? null
        : await findOneDn(
            client,
            config.groupBaseDn,
            new AndFilter({ filters: [equals('objectClass', attrs.groupObjectClass), equals(attrs.groupName, group)] }),
            `the group name ${quoted(group)}`,
          );
    if (groupDn === null) {
      throw new DirectoryNotFoundError(
        'group',
        String(groupName),
        `no group ${quoted(groupName)} under the group base ${config.groupBaseDn}`,
      );
    }
    return { personDn, groupDn };
  }

  /** Direct membership, asked of the server (its DN matching rule), so a group of any size costs one small search. */
  async function hasMember(client: Client, groupDn: string, personDn: string): Promise<boolean> {
    const { searchEntries } = await client.search(groupDn, {
      scope: 'base',
      filter: equals(attrs.member, personDn),
      attributes: ['1.1'],
    });
    return searchEntries.length > 0;
  }

  async function changeMember(
    client: Client,
    operation: 'add' | 'delete',
    groupDn: string,
    personDn: string,
  ): Promise<void> {
    await client.modify(
      groupDn,
      new Change({ operation, modification: new Attribute({ type: attrs.member, values: [personDn] }) }),
    );
  }

  /** A refused membership change, said in terms an operator can act on. */
  function membershipError(err: unknown, doing: string, groupDn: string): unknown {
    if (!(err instanceof ResultCodeError)) return err;
    const cause = { cause: err };
    switch (err.code) {
      case LDAP_INSUFFICIENT_ACCESS_RIGHTS:
        return new DirectoryPermissionDeniedError(
          `${doing}: the service account may not change the members of ${groupDn} (give it write access to ${attrs.member} on the groups under ${config.groupBaseDn}): ${err.message}`,
          cause,
        );
      case LDAP_OBJECT_CLASS_VIOLATION:
        return new IntegrationError(
          'directory',
          'Conflict',
          `${doing}: ${groupDn} refused (a groupOfNames must keep at least one member): ${err.message}`,
          false,
          cause,
        );
      default:
        return err;
    }
  }

  /**
   * Runs a change of `member`, turning the server's refusal into the right error. noSuchObject
   * means the group or the person was deleted since the search: searching again says which.
   */
  async function changeMembership<T>(
    client: Client,
    doing: string,
    names: [string, string],
    change: (dns: { personDn: string; groupDn: string }) => Promise<T>,
  ): Promise<T> {
    const dns = await resolveMembership(client, ...names);
    try {
      return await change(dns);
    } catch (err) {
      if (err instanceof ResultCodeError && err.code === LDAP_NO_SUCH_OBJECT) await resolveMembership(client, ...names);
      throw membershipError(err, doing, dns.groupDn);
    }
  }

  async function addMember(accountName: string, groupName: string): Promise<AddMemberResult> {
    const doing = `adding ${quoted(accountName)} to ${quoted(groupName)}`;
    return withService(doing, (client) =>
      changeMembership(client, doing, [accountName, groupName], async ({ personDn, groupDn }) => {
        try {
          await changeMember(client, 'add', groupDn, personDn);
          return 'added';
        } catch (err) {
          // Already a member: done (also when an earlier attempt's answer was lost).
          if (
            err instanceof ResultCodeError &&
            MEMBER_MAY_EXIST.has(err.code) &&
            (await hasMember(client, groupDn, personDn))
          )
            return 'already-member';
          throw err;
        }
      }),
    );
  }

  async function removeMember(accountName: string, groupName: string): Promise<RemoveMemberResult> {
    const doing = `removing ${quoted(accountName)} from ${quoted(groupName)}`;
    return withService(doing, (client) =>
      changeMembership(client, doing, [accountName, groupName], async ({ personDn, groupDn }) => {
        try {
          await changeMember(client, 'delete', groupDn, personDn);
          return 'removed';
        } catch (err) {
          // Not a member: done (also when an earlier attempt's answer was lost).
          if (
            err instanceof ResultCodeError &&
            MEMBER_MAY_BE_MISSING.has(err.code) &&
            !(await hasMember(client, groupDn, personDn))
          )
            return 'not-a-member';
          throw err;
        }
      }),
    );
  }

  return {
    addMember,
    removeMember,

    async isMember(accountName: string, groupName: string): Promise<boolean> {
      return withService(`checking whether ${quoted(accountName)} is in ${quoted(groupName)}`, async (client) => {
        const { personDn, groupDn } = await resolveMembership(client, accountName, groupName);
        return hasMember(client, groupDn, personDn);
      });
    },

    async authenticate(accountName: string, password: string): Promise<AuthenticationResult> {
      const name = signInName(accountName);
      // An empty password would make the bind an anonymous one, which servers accept.
      if (
        name === null ||
        typeof password !== 'string' ||
        password.length === 0 ||
        password.length > MAX_PASSWORD_LENGTH
      )
        return INVALID;
      const entry = await withService('looking up the account', (client) => findEntry(client, name));
      if (entry === null) return INVALID;
      const person = parseUser(entry);
      const verdict = await verifyPassword(person.dn, password);
      if (verdict === 'refused') return INVALID;
      // Only now, with the password proven, may the answer say more than "no".
      if (verdict === 'disabled' || !person.enabled) return DISABLED;
      const user = await withService('reading group memberships', (client) => toUser(client, person));
      return { ok: true, user };
    },

    async findUser(accountName: string): Promise<DirectoryUser | null> {
      const name = signInName(accountName);
      if (name === null) return null;
      return withService('looking up the account', async (client) => {
        const entry = await findEntry(client, name);
        return entry === null ? null : toUser(client, parseUser(entry));
      });
    },

    async close(): Promise<void> {
      closed = true;
      const pending = service;
      service = null;
      serviceClient = null;
      const client = await pending?.catch(() => null);
      if (client) await quietlyClose(client);
    },
  };
}

const parsedUserSchema = z.object({
  dn: z.string().min(1, 'has no DN'),
  accountName: z.string().min(1, 'has no account name'),
  displayName: z.string(),
  givenName: z.string(),
  familyName: z.string(),
  email: z.string(),
  mobile: z.string().nullable(),
  enabled: z.boolean(),
  memberOf: z.array(z.string().min(1)),
  managerDn: z.string().nullable(),
});
type ParsedUser = z.infer<typeof parsedUserSchema>;

class SessionLost extends Error {
  override readonly name = 'SessionLost';
  constructor() {
    super('the connection was re-established without a bind');
  }
}

/** A name that can match nobody is null, so it never reaches the server. */
function signInName(accountName: unknown): string | null {
  if (typeof accountName !== 'string') return null;
  const name = accountName.trim();
  // No account name holds a control character, and Samba AD compares values as C strings:
  // `steve\u0000` would otherwise find (and sign in as) steve.
  if (/[\u0000-\u001f\u007f]/.test(name)) return null;
  return name.length === 0 || name.length > MAX_ACCOUNT_NAME_LENGTH ? null : name;
}

/** An account or group name for a membership change: the same rules (the group's cn is as long at most). */
const writeName = signInName;

function equals(attribute: string, value: string): EqualityFilter {
  return new EqualityFilter({ attribute, value });
}

/** Attribute values by lower-cased name (servers answer in their own spelling), as text. */
function valuesOf(entry: Entry): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'dn') continue;
    const list: (string | Buffer)[] = Array.isArray(value) ? value : [value];
    values.set(
      key.toLowerCase(),
      list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v)),
    );
  }
  return values;
}

// Good enough to spot a group already visited: DNs differ only in case and spacing after commas.
function dnKey(dn: string): string {
  return dn.toLowerCase().replace(/,\s+/g, ',');
}

function unique(values: string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = v.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function quietlyClose(client: Client): Promise<void> {
  try {
    await client.unbind();
  } catch {
    // Already gone: nothing to release.
  }
}

/** Anything that is not an LDAP result: the connection itself failed or timed out. */
function isConnectionFailure(err: unknown): boolean {
  return !(err instanceof ResultCodeError) && !(err instanceof IntegrationError) && !isTlsTrustFailure(err);
}

const TLS_TRUST_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID/;

function isTlsTrustFailure(err: unknown): boolean {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' && TLS_TRUST_CODES.test(err.code);
}

function toIntegrationError(err: unknown, doing: string): IntegrationError {
  if (err instanceof IntegrationError) return err;
  const cause = { cause: err };
  if (err instanceof ResultCodeError) {
    const detail = `${doing}: ${err.message}`;
    switch (err.code) {
      case LDAP_INVALID_CREDENTIALS:
      case 48: // inappropriateAuthentication
        return new IntegrationError(
          'directory',
          'NotAuthorized',
          `${doing}: the directory refused the service account (check LDAP_BIND_DN and LDAP_BIND_PASSWORD)`,
          false,
          cause,
        );
      case LDAP_INSUFFICIENT_ACCESS_RIGHTS:
        return new DirectoryPermissionDeniedError(`${detail} (the service account may not read this)`, cause);
      case 8: // strongerAuthRequired
      case 13: // confidentialityRequired
        return new IntegrationError(
          'directory',
          'NotAuthorized',
          `${detail} (the server requires an encrypted connection: use ldaps:// or LDAP_STARTTLS=true)`,
          false,
          cause,
        );
      case 3: // timeLimitExceeded
      case 51: // busy
      case 52: // unavailable
        return new DirectoryUnavailableError(detail, cause);
      case LDAP_NO_SUCH_OBJECT:
      case 34: // invalidDNSyntax
        return new IntegrationError(
          'directory',
          'InvalidRequest',
          `${detail} (check LDAP_BASE_DN / LDAP_USER_BASE_DN / LDAP_GROUP_BASE_DN)`,
          false,
          cause,
        );
      default:
        return new IntegrationError('directory', 'UnexpectedResponse', detail, false, cause);
    }
  }
  if (isTlsTrustFailure(err)) {
    const code = (err as Error & { code: string }).code;
    return new IntegrationError(
      'directory',
      'NotAuthorized',
      `${doing}: the server's TLS certificate is not trusted (${code}); set LDAP_CA_FILE to the CA that signed it`,
      false,
      cause,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new DirectoryUnavailableError(`${doing}: directory unreachable (${message})`, cause);
}
