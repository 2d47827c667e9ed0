/** A person as the directory (Active Directory or OpenLDAP) knows them. */
export interface DirectoryUser {
  /** Sign-in name: sAMAccountName on AD, uid on OpenLDAP. Lower-case. */
  accountName: string;
  dn: string;
  displayName: string;
  givenName: string;
  familyName: string;
  email: string;
  /** Mobile number as stored in the directory (not necessarily E.164). */
  mobile: string | null;
  /** false when the account is disabled (AD userAccountControl bit 2 / a locked OpenLDAP entry). */
  enabled: boolean;
  /** Common names of every group the user belongs to, nested groups included. */
  groups: string[];
  /**
   * accountName of their manager (the `manager` attribute, a DN, read back by the service
   * account); null when none is set or it names no person. Approves their access requests.
   */
  manager: string | null;
}

export type AuthenticationResult =
  | { ok: true; user: DirectoryUser }
  /** Wrong password and unknown account are one reason on purpose: never reveal which. */
  | { ok: false; reason: 'invalid-credentials' | 'account-disabled' };

/**
 * The company directory (reads; {@link GroupMemberships} are its writes).
 * All methods are read-only and safe to retry. Values are escaped before they reach a filter.
 */
export interface Directory {
  /** Binds as the user with their own password (the portal sign-in). Never stores the password. */
  authenticate(accountName: string, password: string): Promise<AuthenticationResult>;
  /** Looks a user up with the service account; null when no such account. */
  findUser(accountName: string): Promise<DirectoryUser | null>;
  close(): Promise<void>;
}

/** What {@link GroupMemberships.addMember} did: `already-member` also covers a retry of an add that went through. */
export type AddMemberResult = 'added' | 'already-member';
/** What {@link GroupMemberships.removeMember} did: `not-a-member` also covers a retry of a removal that went through. */
export type RemoveMemberResult = 'removed' | 'not-a-member';

/**
 * Writes to the company directory: direct group memberships, and nothing else. Done with the
 * service account, which needs write access to `member` on the groups under the group base
 * (and nothing more).
 *
 * - The person is found by account name (sAMAccountName on AD, uid on OpenLDAP), the group by
 *   the name `DirectoryUser.groups` reports (its cn), only under the group base: a group
 *   elsewhere (AD's Domain Admins in CN=Users) is not found, so it cannot be changed this way.
 * - Both are found by searching; no DN is ever built from the names given. The change is an LDAP
 *   modify of the group's `member` with the DN the server returned for the person.
 * - Idempotent, so safe to retry after a timeout or a lost connection: adding a member that is
 *   one already, or removing one that is not, succeeds and says so.
 * - Failures (`errors.ts`): `DirectoryNotFoundError` (no such person or group; not retryable),
 *   `DirectoryPermissionDeniedError` (the service account may not change that group),
 *   `DirectoryUnavailableError` (retryable); a name matching two entries is `Conflict`.
 *
 */
export interface GroupMemberships {
  /** Makes the person a direct member of the group. */
  addMember(accountName: string, groupName: string): Promise<AddMemberResult>;
  /** Ends the person's direct membership of the group (a membership through a nested group stays). */
  removeMember(accountName: string, groupName: string): Promise<RemoveMemberResult>;
  /** Whether the person is a direct member (what add and remove change; nested groups are in `findUser().groups`). */
  isMember(accountName: string, groupName: string): Promise<boolean>;
}
