/**
 * The embedded stand-in for the company directory (`npm start`): the people and groups of an
 * organisation it is given (the Eagle5 demo organisation in `npm start`), all signing in with
 * the one demo password generated at start-up.
 * It answers exactly as the LDAP adapter does: the same reasons, in the same order of checks,
 * and the same group membership changes with the same results and errors.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { DirectoryNotFoundError, quoted } from './errors';
import type {
  AddMemberResult,
  AuthenticationResult,
  Directory,
  DirectoryUser,
  GroupMemberships,
  RemoveMemberResult,
} from './types';

/** How far the memberships have moved from the organisation's: what a membership file holds. */
const membershipChangesSchema = z.object({
  /** [accountName, groupName] pairs, lower-case, that the organisation does not have. */
  added: z.array(z.tuple([z.string(), z.string()])),
  /** [accountName, groupName] pairs, lower-case, of the organisation's that were removed. */
  removed: z.array(z.tuple([z.string(), z.string()])),
});

/**
 * A person of the organisation the embedded directory serves: a {@link DirectoryUser} as it is
 * kept, before the directory derives the dn, the display name and the nested groups.
 */
export type OrganisationPerson = Omit<DirectoryUser, 'dn' | 'displayName' | 'groups' | 'manager'> & {
  /** Direct group memberships (by group name); nesting comes from the groups' `memberOf`. */
  groups: string[];
  /** accountName of their manager (the directory's `manager` attribute), if they have one. */
  manager?: string;
};

/** A group of that organisation. */
export interface OrganisationGroup {
  name: string;
  /** Groups this group is a member of (nesting). */
  memberOf: string[];
}

/** What the embedded directory serves: one DNS domain, its groups and its people. */
export interface Organisation {
  domain: string;
  groups: readonly OrganisationGroup[];
  people: readonly OrganisationPerson[];
}

export interface EmbeddedDirectoryOptions {
  /** The people and groups to serve, as they are at start; membership changes are kept apart. */
  organisation: Organisation;
  /** The demo password every person signs in with. */
  password: string;
  /**
   * Where membership changes are kept (JSON, written whole on every change), so they survive a
   * restart; read at creation when it exists. Without it they last as long as this object.
   * Only the changes are stored, so people and groups added to the organisation later still appear.
   */
  membershipsFile?: string;
}

/**
 * An in-memory {@link Directory} over `options.organisation`. `password` is the demo password
 * every person signs in with; it is compared in constant time (over SHA-256 digests, so its
 * length does not leak either). Disabled people get `account-disabled`, but only with the right
 * password, as with AD. Nothing is retried because nothing can fail; every method is idempotent.
 * Group memberships change as on LDAP: direct memberships of the organisation's groups, by account and group
 * name (any case), `already-member` / `not-a-member` for a change already made, and
 * {@link DirectoryNotFoundError} for a person or group that does not exist.
 */
export function createEmbeddedDirectory(options: EmbeddedDirectoryOptions): Directory & GroupMemberships {
  if (options.password.length === 0) throw new Error('createEmbeddedDirectory: the demo password must not be empty');
  const expected = digest(options.password);
  const { domain, groups: orgGroups, people: orgPeople } = options.organisation;
  const baseDn = domain
    .split('.')
    .map((part) => `dc=${part}`)
    .join(',');
  const people = new Map(orgPeople.map((p) => [p.accountName.toLowerCase(), p]));
  const groups = new Map(orgGroups.map((g) => [g.name.toLowerCase(), g]));
  const file = options.membershipsFile;
  /** Direct members of each group (lower-case account names), by lower-case group name. */
  const members = new Map(orgGroups.map((g) => [g.name.toLowerCase(), new Set<string>()]));
  for (const p of orgPeople) for (const g of p.groups) members.get(g.toLowerCase())?.add(p.accountName.toLowerCase());
  const initial = new Map([...members].map(([g, m]) => [g, new Set(m)]));
  if (file !== undefined && existsSync(file)) {
    const changes = membershipChangesSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    for (const [account, group] of changes.added) if (people.has(account)) members.get(group)?.add(account);
    for (const [account, group] of changes.removed) members.get(group)?.delete(account);
  }
  let closed = false;

  const lookUp = (accountName: string): OrganisationPerson | undefined => {
    if (closed) throw new Error('the directory has been closed');
    return typeof accountName === 'string' ? people.get(accountName.trim().toLowerCase()) : undefined;
  };

  /** The person's and the group's keys, as the LDAP adapter resolves them, or its NotFound errors. */
  const resolve = (accountName: string, groupName: string): { account: string; group: string } => {
    const person = lookUp(accountName);
    if (person === undefined)
      throw new DirectoryNotFoundError(
        'person',
        String(accountName),
        `no person with the account name ${quoted(accountName)} in the directory`,
      );
    const group = typeof groupName === 'string' ? groupName.trim().toLowerCase() : '';
    if (!groups.has(group))
      throw new DirectoryNotFoundError('group', String(groupName), `no group ${quoted(groupName)} in the directory`);
    return { account: person.accountName.toLowerCase(), group };
  };

  const save = (): void => {
    if (file === undefined) return;
    const added: [string, string][] = [];
    const removed: [string, string][] = [];
    for (const [group, now] of members) {
      const before = initial.get(group) ?? new Set<string>();
      for (const account of now) if (!before.has(account)) added.push([account, group]);
      for (const account of before) if (!now.has(account)) removed.push([account, group]);
    }
    mkdirSync(dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ added, removed }, null, 2)}\n`);
    renameSync(temporary, file);
  };

  /** A change that cannot be kept is not made: the caller sees the error and may retry. */
  const saveOrUndo = (undo: () => void): void => {
    try {
      save();
    } catch (err) {
      undo();
      throw err;
    }
  };

  /** Every group a person is in, following nesting (what AD's LDAP_MATCHING_RULE_IN_CHAIN returns). */
  const effectiveGroups = (account: string): string[] => {
    const seen = new Set<string>();
    const visit = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      for (const parent of groups.get(name.toLowerCase())?.memberOf ?? []) visit(parent);
    };
    for (const g of orgGroups) if (members.get(g.name.toLowerCase())?.has(account)) visit(g.name);
    return [...seen].sort();
  };

  const toUser = (p: OrganisationPerson): DirectoryUser => {
    const displayName = `${p.givenName} ${p.familyName}`;
    return {
      accountName: p.accountName.toLowerCase(),
      dn: `cn=${displayName},ou=People,${baseDn}`,
      displayName,
      givenName: p.givenName,
      familyName: p.familyName,
      email: p.email,
      mobile: p.mobile,
      enabled: p.enabled,
      groups: effectiveGroups(p.accountName.toLowerCase()),
      manager: p.manager?.toLowerCase() ?? null,
    };
  };

  return {
    authenticate(accountName: string, password: string): Promise<AuthenticationResult> {
      const person = lookUp(accountName);
      // Compare even for unknown names so that both answers take the same time.
      const matches =
        typeof password === 'string' && password.length > 0 && timingSafeEqual(digest(password), expected);
      if (person === undefined || !matches) return Promise.resolve({ ok: false, reason: 'invalid-credentials' });
      if (!person.enabled) return Promise.resolve({ ok: false, reason: 'account-disabled' });
      return Promise.resolve({ ok: true, user: toUser(person) });
    },

    findUser(accountName: string): Promise<DirectoryUser | null> {
      const person = lookUp(accountName);
      return Promise.resolve(person === undefined ? null : toUser(person));
    },

    addMember(accountName: string, groupName: string): Promise<AddMemberResult> {
      return Promise.resolve().then(() => {
        const { account, group } = resolve(accountName, groupName);
        const set = members.get(group);
        if (set === undefined || set.has(account)) return 'already-member';
        set.add(account);
        saveOrUndo(() => set.delete(account));
        return 'added';
      });
    },

    removeMember(accountName: string, groupName: string): Promise<RemoveMemberResult> {
      return Promise.resolve().then(() => {
        const { account, group } = resolve(accountName, groupName);
        const set = members.get(group);
        if (set?.delete(account) !== true) return 'not-a-member';
        saveOrUndo(() => set.add(account));
        return 'removed';
      });
    },

    isMember(accountName: string, groupName: string): Promise<boolean> {
      return Promise.resolve().then(() => {
        const { account, group } = resolve(accountName, groupName);
        return members.get(group)?.has(account) === true;
      });
    },

    close(): Promise<void> {
      closed = true;
      return Promise.resolve();
    },
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
