/**
 * What every AccountProvisioner must do, run against the SCIM adapter (on a scimmy server) and
 * the embedded file-backed stand-in: the same idempotency, whatever is behind it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrationError } from '../../../integrations/errors';
import type { AccountProvisioner, AccountRequest } from '../../../integrations/provisioning/types';

export interface ProvisionerSubject {
  provisioner: AccountProvisioner;
  /** Creates an account behind the provisioner's back (someone did it by hand). */
  createDirectly(userName: string, options?: { externalId?: string; active?: boolean }): Promise<string>;
  /** The account as the application holds it, or null. */
  stored(id: string): Promise<{ userName: string; externalId: string | null; active: boolean } | null>;
  /** How many accounts the application holds. */
  count(): Promise<number>;
  teardown(): Promise<void>;
}

export async function failure(promise: Promise<unknown>): Promise<IntegrationError> {
  const err = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IntegrationError);
  return err as IntegrationError;
}

let n = 0;
/** A fresh person for each test, so the tests of one subject do not meet. */
export function person(overrides: Partial<AccountRequest> = {}): AccountRequest {
  n++;
  const who = `person${n}-${Math.random().toString(36).slice(2, 8)}`;
  return {
    userName: `${who}@eagle5.example`,
    externalId: who,
    givenName: 'Steve',
    familyName: 'Jones',
    email: `${who}@eagle5.example`,
    ...overrides,
  };
}

export function provisionerContract(name: string, setup: () => Promise<ProvisionerSubject>): void {
  describe(`${name} (AccountProvisioner contract)`, () => {
    let subject: ProvisionerSubject;
    beforeAll(async () => {
      subject = await setup();
    });
    afterAll(async () => {
      await subject?.teardown();
    });

    it('creates an active account with our externalId', async () => {
      const request = person();
      const before = await subject.count();
      const { account, created } = await subject.provisioner.ensureAccount(request);
      expect(created).toBe(true);
      expect(account.id).not.toBe('');
      expect(account).toEqual({
        id: account.id,
        userName: request.userName,
        externalId: request.externalId,
        active: true,
      });
      expect(await subject.stored(account.id)).toEqual({
        userName: request.userName,
        externalId: request.externalId,
        active: true,
      });
      expect(await subject.count()).toBe(before + 1);
    });

    it('returns the same account when asked twice, and holds one', async () => {
      const request = person();
      const before = await subject.count();
      const first = await subject.provisioner.ensureAccount(request);
      const second = await subject.provisioner.ensureAccount(request);
      expect(second).toEqual({ account: first.account, created: false });
      expect(await subject.count()).toBe(before + 1);
    });

    it('returns an account that already has the userName (created elsewhere) instead of failing', async () => {
      const request = person();
      const id = await subject.createDirectly(request.userName.toUpperCase());
      const before = await subject.count();
      const { account, created } = await subject.provisioner.ensureAccount(request);
      expect(created).toBe(false);
      expect(account.id).toBe(id);
      expect(await subject.count()).toBe(before);
    });

    it('finds an account by userName, quotes and backslashes included, and null for a stranger', async () => {
      const request = person();
      const tricky = `o"brien\\${request.userName}`;
      const { account } = await subject.provisioner.ensureAccount({ ...request, userName: tricky });
      expect(await subject.provisioner.findByUserName(tricky)).toEqual(account);
      expect(await subject.provisioner.findByUserName(`o"brien`)).toBeNull();
      expect(await subject.provisioner.findByUserName('nobody@eagle5.example')).toBeNull();
    });

    it('deactivates idempotently, also an account that is gone', async () => {
      const { account } = await subject.provisioner.ensureAccount(person());
      await subject.provisioner.deactivate(account.id);
      expect((await subject.stored(account.id))?.active).toBe(false);
      await subject.provisioner.deactivate(account.id);
      expect((await subject.stored(account.id))?.active).toBe(false);
      await subject.provisioner.deactivate('00000000-0000-4000-8000-000000000000');
    });

    it('switches a deactivated account back on when it is ensured again', async () => {
      const request = person();
      const { account } = await subject.provisioner.ensureAccount(request);
      await subject.provisioner.deactivate(account.id);
      const again = await subject.provisioner.ensureAccount(request);
      expect(again).toEqual({ account: { ...account, active: true }, created: false });
      expect((await subject.stored(account.id))?.active).toBe(true);
    });

    it('refuses a request with an empty field, permanently', async () => {
      const err = await failure(subject.provisioner.ensureAccount(person({ userName: ' ' })));
      expect(err).toMatchObject({ code: 'InvalidRequest', retryable: false });
    });
  });
}
