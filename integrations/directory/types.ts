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
}

export type AuthenticationResult =
  | { ok: true; user: DirectoryUser }
  /** Wrong password and unknown account are one reason on purpose: never reveal which. */
  | { ok: false; reason: 'invalid-credentials' | 'account-disabled' };

/**
 * The company directory.
 * All methods are read-only and safe to retry. Values are escaped before they reach a filter.
 */
export interface Directory {
  /** Binds as the user with their own password (the portal sign-in). Never stores the password. */
  authenticate(accountName: string, password: string): Promise<AuthenticationResult>;
  /** Looks a user up with the service account; null when no such account. */
  findUser(accountName: string): Promise<DirectoryUser | null>;
  close(): Promise<void>;
}
