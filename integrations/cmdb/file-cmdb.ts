/**
 * The embedded stand-in for the CMDB (`npm start`): one JSON file a person can read and edit,
 * seeded with the data it is given (the Eagle5 demo organisation in `npm start`) when it does
 * not exist.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { IntegrationError } from '../errors';
import { decodeCursor, encodeCursor, pageSize, requireE164, requireId } from './inputs';
import type { BusinessService, Cmdb, Device, Subscriber, SubscriberPage } from './types';

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +447700900123');
const accountName = z
  .string()
  .trim()
  .min(1)
  .transform((s) => s.toLowerCase());

const personShape = z.object({
  accountName,
  displayName: z.string().min(1),
  email: z.string(),
  mobile: e164.nullable(),
  prefersSms: z.boolean().default(false),
  /** Inactive people are nobody's subscribers any more (as `sys_user.active=false` in ServiceNow). */
  active: z.boolean().default(true),
});

const deviceShape = z.object({
  phone: e164,
  os: z.enum(['ios', 'android']),
  model: z.string(),
  owner: accountName,
});

const serviceShape = z.object({
  id: z.string().trim().min(1),
  name: z.string().min(1),
  subscribers: z.array(accountName),
});

/** The file's format. Every subscriber must be one of `people`. */
export const fileCmdbSchema = z
  .object({
    people: z.array(personShape),
    devices: z.array(deviceShape),
    services: z.array(serviceShape),
  })
  .superRefine((data, ctx) => {
    const people = new Set(data.people.map((p) => p.accountName));
    data.services.forEach((s, i) => {
      s.subscribers.forEach((name, j) => {
        if (!people.has(name))
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'subscribers', j],
            message: `"${name}" is not in people`,
          });
      });
    });
  });
export type FileCmdbData = z.infer<typeof fileCmdbSchema>;

/** What the file is seeded with: the same format, defaults allowed. */
export type FileCmdbSeed = z.input<typeof fileCmdbSchema>;

/**
 * Writes `seed` to `path` unless the file exists (a person's edits are never overwritten).
 * Returns whether it wrote. The file appears whole or not at all.
 */
export async function seedFileCmdb(path: string, seed: FileCmdbSeed): Promise<boolean> {
  if (await exists(path)) return false;
  await writeJsonAtomically(path, seed);
  return true;
}

/** Writes any data set (tests, a bigger demo) in the file's format, replacing the file. */
export async function writeFileCmdb(path: string, data: FileCmdbSeed): Promise<void> {
  await writeJsonAtomically(path, data);
}

interface Snapshot {
  mtimeMs: number;
  size: number;
  people: Map<string, FileCmdbData['people'][number]>;
  devicesByPhone: Map<string, Device>;
  devicesByOwner: Map<string, Device[]>;
  services: Map<string, FileCmdbData['services'][number]>;
  subscriptionsByPerson: Map<string, BusinessService[]>;
}

/**
 * A {@link Cmdb} over a JSON file at `path` (format: {@link fileCmdbSchema}), seeded with
 * `seed` on first use when missing. The file is read again whenever its size or
 * modification time changes, so edits show up on the next call without a restart.
 *
 * Read-only and idempotent, with the same input checks and cursor as the ServiceNow adapter.
 * A file that is not valid JSON or not in the format is an `UnexpectedResponse` naming the file
 * and the problem; it is retryable, because a person editing the file will fix it.
 * When one phone number is on two devices the later entry wins.
 */
export function createFileCmdb(path: string, seed: FileCmdbSeed): Cmdb {
  let current: Snapshot | null = null;
  let loading: Promise<Snapshot> | null = null;

  const load = async (): Promise<Snapshot> => {
    await seedFileCmdb(path, seed);
    const info = await stat(path);
    if (current !== null && current.mtimeMs === info.mtimeMs && current.size === info.size) return current;
    const text = await readFile(path, 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new IntegrationError(
        'cmdb',
        'UnexpectedResponse',
        `${path} is not valid JSON: ${(err as Error).message}`,
        true,
      );
    }
    const parsed = fileCmdbSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
      throw new IntegrationError(
        'cmdb',
        'UnexpectedResponse',
        `${path} is not a CMDB file: ${problems.join('; ')}`,
        true,
      );
    }
    current = index(parsed.data, info.mtimeMs, info.size);
    return current;
  };

  const snapshot = (): Promise<Snapshot> => {
    loading ??= load().finally(() => {
      loading = null;
    });
    return loading;
  };

  return {
    async findDeviceByPhone(phone: string): Promise<Device | null> {
      const number = requireE164(phone);
      const s = await snapshot();
      return s.devicesByPhone.get(number) ?? null;
    },

    async devicesOf(accountName: string): Promise<Device[]> {
      const name = requireId('account name', accountName).toLowerCase();
      const s = await snapshot();
      return [...(s.devicesByOwner.get(name) ?? [])];
    },

    async subscriptionsOf(accountName: string): Promise<BusinessService[]> {
      const name = requireId('account name', accountName).toLowerCase();
      const s = await snapshot();
      return [...(s.subscriptionsByPerson.get(name) ?? [])];
    },

    async getService(serviceId: string): Promise<BusinessService | null> {
      const id = requireId('service id', serviceId);
      const service = (await snapshot()).services.get(id);
      return service === undefined ? null : { id: service.id, name: service.name };
    },

    async searchServices(query: string, limit: number): Promise<BusinessService[]> {
      const q = query.trim().toLowerCase();
      const size = Math.min(100, Math.max(1, Math.floor(limit)));
      return [...(await snapshot()).services.values()]
        .filter((s) => q === '' || s.id.toLowerCase().includes(q) || s.name.toLowerCase().includes(q))
        .map((s) => ({ id: s.id, name: s.name }))
        .sort((a, b) => a.name.localeCompare(b.name))
        .slice(0, size);
    },

    async countSubscribers(serviceId: string): Promise<number> {
      const id = requireId('service id', serviceId);
      const s = await snapshot();
      return (s.services.get(id)?.subscribers ?? []).filter((name) => s.people.get(name)?.active === true).length;
    },

    async subscribersPage(serviceId: string, cursor: string | null, limit: number): Promise<SubscriberPage> {
      const id = requireId('service id', serviceId);
      const offset = decodeCursor(id, cursor);
      const size = pageSize(limit);
      const s = await snapshot();
      const service = s.services.get(id);
      if (service === undefined) return { subscribers: [], nextCursor: null };
      // Paged over the file's list (inactive people included) so an offset stays put when someone leaves.
      const slice = service.subscribers.slice(offset, offset + size);
      const subscribers: Subscriber[] = [];
      for (const name of slice) {
        const p = s.people.get(name);
        if (p === undefined || !p.active) continue;
        subscribers.push({
          accountName: p.accountName,
          displayName: p.displayName,
          email: p.email,
          mobile: p.mobile,
          prefersSms: p.prefersSms,
        });
      }
      const next = offset + slice.length;
      return { subscribers, nextCursor: next < service.subscribers.length ? encodeCursor(id, next) : null };
    },
  };
}

function index(data: FileCmdbData, mtimeMs: number, size: number): Snapshot {
  const people = new Map(data.people.map((p) => [p.accountName, p]));
  const devicesByPhone = new Map<string, Device>();
  const devicesByOwner = new Map<string, Device[]>();
  for (const d of data.devices) {
    const device: Device = { phone: d.phone, os: d.os, model: d.model, owner: d.owner };
    devicesByPhone.set(d.phone, device);
    devicesByOwner.set(d.owner, [...(devicesByOwner.get(d.owner) ?? []), device]);
  }
  const services = new Map(data.services.map((s) => [s.id, s]));
  const subscriptionsByPerson = new Map<string, BusinessService[]>();
  for (const s of data.services) {
    for (const name of new Set(s.subscribers)) {
      subscriptionsByPerson.set(name, [...(subscriptionsByPerson.get(name) ?? []), { id: s.id, name: s.name }]);
    }
  }
  for (const list of subscriptionsByPerson.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  return { mtimeMs, size, people, devicesByPhone, devicesByOwner, services, subscriptionsByPerson };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function writeJsonAtomically(path: string, data: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, 'utf8');
  await rename(tmp, path);
}
