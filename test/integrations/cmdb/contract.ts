/**
 * What every Cmdb must do, run against each implementation: the ServiceNow adapter on the test
 * instance and the file-backed stand-in. Both hold Eagle5 from embedded/demo-org.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cmdb, Subscriber } from '../../../integrations/cmdb/types';
import { IntegrationError } from '../../../integrations/errors';

export interface CmdbSubject {
  cmdb: Cmdb;
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

/** Every subscriber of a service, page by page. */
export async function readAllSubscribers(
  cmdb: Cmdb,
  serviceId: string,
  limit: number,
): Promise<{ subscribers: Subscriber[]; pages: number }> {
  const subscribers: Subscriber[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await cmdb.subscribersPage(serviceId, cursor, limit);
    subscribers.push(...page.subscribers);
    cursor = page.nextCursor;
    pages++;
    if (pages > 10_000) throw new Error('the cursor never ends');
  } while (cursor !== null);
  return { subscribers, pages };
}

export function cmdbContract(name: string, setup: () => Promise<CmdbSubject>): void {
  describe(`${name} (Cmdb contract)`, () => {
    let subject: CmdbSubject;
    beforeAll(async () => {
      subject = await setup();
    });
    afterAll(async () => {
      await subject?.teardown();
    });

    it('finds a device by its E.164 number, with its owner', async () => {
      expect(await subject.cmdb.findDeviceByPhone('+447700900123')).toEqual({
        phone: '+447700900123',
        os: 'android',
        model: 'Pixel 8',
        owner: 'steve',
      });
      expect(await subject.cmdb.findDeviceByPhone('+447700900456')).toEqual({
        phone: '+447700900456',
        os: 'ios',
        model: 'iPhone 15',
        owner: 'tony',
      });
    });

    it('answers null for a number no device has', async () => {
      expect(await subject.cmdb.findDeviceByPhone('+447700900999')).toBeNull();
      // Olaf has a mobile in the directory but no device in the CMDB.
      expect(await subject.cmdb.findDeviceByPhone('+447700900321')).toBeNull();
    });

    it('refuses a number that is not E.164 instead of guessing', async () => {
      for (const phone of ['07700 900123', '447700900123', '+44 7700 900123', '']) {
        const err = await failure(subject.cmdb.findDeviceByPhone(phone));
        expect(err.code).toBe('InvalidRequest');
        expect(err.retryable).toBe(false);
        expect(err.message).not.toContain('900123');
      }
    });

    it('lists the devices of a person, and none for a stranger', async () => {
      expect(await subject.cmdb.devicesOf('steve')).toEqual([
        { phone: '+447700900123', os: 'android', model: 'Pixel 8', owner: 'steve' },
      ]);
      expect(await subject.cmdb.devicesOf('STEVE')).toHaveLength(1);
      expect(await subject.cmdb.devicesOf('olaf')).toEqual([]);
      expect(await subject.cmdb.devicesOf('nobody')).toEqual([]);
    });

    it('lists the services a person subscribes to, by name', async () => {
      expect(await subject.cmdb.subscriptionsOf('steve')).toEqual([
        { id: 'crm', name: 'CRM' },
        { id: 'email', name: 'Email' },
        { id: 'expensatron', name: 'Expensatron' },
      ]);
      expect(await subject.cmdb.subscriptionsOf('dana')).toEqual([
        { id: 'email', name: 'Email' },
        { id: 'expensatron', name: 'Expensatron' },
      ]);
      expect(await subject.cmdb.subscriptionsOf('nobody')).toEqual([]);
    });

    it('gets a service by id, null when unknown', async () => {
      expect(await subject.cmdb.getService('expensatron')).toEqual({ id: 'expensatron', name: 'Expensatron' });
      expect(await subject.cmdb.getService('no-such-service')).toBeNull();
    });

    it('searches services by id or name, any case, by name, within the limit (the console picker)', async () => {
      expect(await subject.cmdb.searchServices('', 10)).toEqual([
        { id: 'crm', name: 'CRM' },
        { id: 'email', name: 'Email' },
        { id: 'expensatron', name: 'Expensatron' },
      ]);
      expect(await subject.cmdb.searchServices('EX', 10)).toEqual([{ id: 'expensatron', name: 'Expensatron' }]);
      expect(await subject.cmdb.searchServices('crm', 10)).toEqual([{ id: 'crm', name: 'CRM' }]);
      expect(await subject.cmdb.searchServices('e', 1)).toHaveLength(1);
      expect(await subject.cmdb.searchServices('no such thing', 10)).toEqual([]);
      expect(await subject.cmdb.searchServices('crm^ORname!=x', 10)).toEqual([]);
    });

    it('counts the active subscribers of a service, 0 for an unknown one', async () => {
      const { subscribers } = await readAllSubscribers(subject.cmdb, 'email', 50);
      expect(await subject.cmdb.countSubscribers('email')).toBe(subscribers.length);
      expect(await subject.cmdb.countSubscribers('crm')).toBe(4);
      expect(await subject.cmdb.countSubscribers('no-such-service')).toBe(0);
    });

    it('pages through the subscribers of a service, each exactly once, with their contact details', async () => {
      const { subscribers, pages } = await readAllSubscribers(subject.cmdb, 'email', 2);
      expect(pages).toBe(3);
      expect(subscribers.map((s) => s.accountName).sort()).toEqual(['dana', 'ivy', 'mia', 'steve', 'tony']);
      expect(subscribers.find((s) => s.accountName === 'steve')).toEqual({
        accountName: 'steve',
        displayName: 'Steve Jones',
        email: 'steve@eagle5.example',
        mobile: '+447700900123',
        prefersSms: true,
      });
      expect(subscribers.find((s) => s.accountName === 'tony')?.prefersSms).toBe(false);
    });

    it('reads the same page again for the same cursor', async () => {
      const first = await subject.cmdb.subscribersPage('email', null, 2);
      const second = await subject.cmdb.subscribersPage('email', first.nextCursor, 2);
      const again = await subject.cmdb.subscribersPage('email', first.nextCursor, 2);
      expect(again).toEqual(second);
      expect(second.subscribers.map((s) => s.accountName)).not.toContain(first.subscribers[0]!.accountName);
    });

    it('returns one empty last page for an unknown service', async () => {
      expect(await subject.cmdb.subscribersPage('no-such-service', null, 100)).toEqual({
        subscribers: [],
        nextCursor: null,
      });
    });

    it('refuses a cursor of another service, a damaged cursor and a page size below 1', async () => {
      const crm = await subject.cmdb.subscribersPage('crm', null, 1);
      expect(crm.nextCursor).not.toBeNull();
      expect((await failure(subject.cmdb.subscribersPage('email', crm.nextCursor, 1))).code).toBe('InvalidRequest');
      expect((await failure(subject.cmdb.subscribersPage('email', 'not-a-cursor', 1))).code).toBe('InvalidRequest');
      expect((await failure(subject.cmdb.subscribersPage('email', null, 0))).code).toBe('InvalidRequest');
    });

    it('never answers with anyone else for a name built to widen a query', async () => {
      // In ServiceNow's encoded query syntax each of these would match every device or subscription.
      const names = [
        'nobody^ORassigned_to.user_nameISNOTEMPTY',
        'nobody^ORsys_user.user_nameISNOTEMPTY',
        'nobody^NQsys_idISNOTEMPTY',
        'nobody\nsys_idISNOTEMPTY',
      ];
      for (const name of names) {
        const devices = await subject.cmdb.devicesOf(name).catch((e: unknown) => e);
        if (devices instanceof IntegrationError) expect(devices.code).toBe('InvalidRequest');
        else expect(devices).toEqual([]);
        const services = await subject.cmdb.subscriptionsOf(name).catch((e: unknown) => e);
        if (services instanceof IntegrationError) expect(services.code).toBe('InvalidRequest');
        else expect(services).toEqual([]);
      }
    });
  });
}
