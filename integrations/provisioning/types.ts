/** What the application needs to create an account. */
export interface AccountRequest {
  /** Login id in the application, usually the user's email. */
  userName: string;
  /** Our stable id for this person (directory accountName); used to find an existing account. */
  externalId: string;
  givenName: string;
  familyName: string;
  email: string;
}

export interface Account {
  /** The application's own id for the account (SCIM `id`). */
  id: string;
  userName: string;
  externalId: string | null;
  active: boolean;
}

/**
 * Account provisioning in one application (SCIM 2.0).
 * `ensureAccount` is idempotent: calling it twice returns the same account.
 */
export interface AccountProvisioner {
  ensureAccount(request: AccountRequest): Promise<{ account: Account; created: boolean }>;
  findByUserName(userName: string): Promise<Account | null>;
  /** Compensation: PATCH active=false. Idempotent. */
  deactivate(accountId: string): Promise<void>;
}

/** Provisioners per application id (e.g. `expensatron`). */
export type ProvisionerRegistry = (applicationId: string) => AccountProvisioner;
