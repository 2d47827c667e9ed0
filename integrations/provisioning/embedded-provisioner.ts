/**
 * The embedded stand-in for SCIM provisioning (`npm start`): every application's accounts in one
 * JSON file that can be read (and edited) while the journeys run.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { IntegrationError } from '../errors';
import type { Account, AccountProvisioner, AccountRequest, ProvisionerRegistry } from './types';

const storedAccount = z.object({
  id: z.string().min(1),
  userName: z.string().min(1),
  externalId: z.string().nullable(),
  givenName: z.string(),
  familyName: z.string(),
  email: z.string(),
  active: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type StoredAccount = z.infer<typeof storedAccount>;

/** The file's format: accounts per application id. */
export const accountsFileSchema = z.object({
  applications: z.record(z.string(), z.object({ accounts: z.array(storedAccount) })),
});
export type AccountsFile = z.infer<typeof accountsFileSchema>;

/** One queue per file in this process: a read-modify-write never interleaves with another. */
const queues = new Map<string, Promise<unknown>>();

function serialised<T>(path: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(path) ?? Promise.resolve();
  const next = previous.then(work, work);
  queues.set(
    path,
    next.catch(() => undefined),
  );
  return next;
}

/** The accounts file at `path` (empty when missing). A damaged file is a retryable `UnexpectedResponse`. */
export async function readAccountsFile(path: string): Promise<AccountsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { applications: {} };
    throw new IntegrationError('provisioning', 'Unavailable', `cannot read ${path}: ${(err as Error).message}`, true, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new IntegrationError(
      'provisioning',
      'UnexpectedResponse',
      `${path} is not valid JSON: ${(err as Error).message}`,
      true,
    );
  }
  const parsed = accountsFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new IntegrationError(
      'provisioning',
      'UnexpectedResponse',
      `${path} is not an accounts file: ${problems.join('; ')}`,
      true,
    );
  }
  return parsed.data;
}

async function writeAccountsFile(path: string, data: AccountsFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, 'utf8');
  await rename(tmp, path);
}

const toAccount = (a: StoredAccount): Account => ({
  id: a.id,
  userName: a.userName,
  externalId: a.externalId,
  active: a.active,
});

/**
 * Provisioners for any application id (or only `options.applications`, when given), all kept in
 * the JSON file at `path` (format: {@link accountsFileSchema}), created on first write.
 *
 * Same semantics as the SCIM adapter: `ensureAccount` returns the account with the same
 * externalId, else the one with the same userName (compared without case, as SCIM's
 * uniqueness), switching it back on if inactive, with `created: false`; only otherwise does it
 * create one. `deactivate` sets `active: false`; an unknown id is fine. Idempotent and safe to
 * retry. The file is read afresh for every call (so hand edits count) and replaced atomically;
 * calls within this process are serialised. An application id outside `options.applications`
 * is a permanent `NotFound`.
 */
export function createEmbeddedProvisioners(
  path: string,
  options: { applications?: string[] } = {},
): ProvisionerRegistry {
  const file = resolve(path);
  const allowed = options.applications?.map((a) => a.toLowerCase());
  const made = new Map<string, AccountProvisioner>();

  const provisionerFor = (app: string): AccountProvisioner => {
    const update = <T>(change: (accounts: StoredAccount[]) => { result: T; changed: boolean }): Promise<T> =>
      serialised(file, async () => {
        const data = await readAccountsFile(file);
        const accounts = data.applications[app]?.accounts ?? [];
        const { result, changed } = change(accounts);
        if (changed) await writeAccountsFile(file, { applications: { ...data.applications, [app]: { accounts } } });
        return result;
      });

    return {
      ensureAccount(request: AccountRequest): Promise<{ account: Account; created: boolean }> {
        for (const field of ['userName', 'externalId', 'givenName', 'familyName', 'email'] as const) {
          const value: unknown = request[field];
          if (typeof value !== 'string' || value.trim() === '') {
            return Promise.reject(
              new IntegrationError('provisioning', 'InvalidRequest', `${field} must not be empty`, false),
            );
          }
        }
        return update<{ account: Account; created: boolean }>((accounts) => {
          const now = new Date().toISOString();
          const existing =
            accounts.find((a) => a.externalId === request.externalId) ??
            accounts.find((a) => a.userName.toLowerCase() === request.userName.toLowerCase());
          if (existing !== undefined) {
            const reactivate = !existing.active;
            if (reactivate) Object.assign(existing, { active: true, updatedAt: now });
            return { result: { account: toAccount(existing), created: false }, changed: reactivate };
          }
          const account: StoredAccount = {
            id: randomUUID(),
            userName: request.userName,
            externalId: request.externalId,
            givenName: request.givenName,
            familyName: request.familyName,
            email: request.email,
            active: true,
            createdAt: now,
            updatedAt: now,
          };
          accounts.push(account);
          return { result: { account: toAccount(account), created: true }, changed: true };
        });
      },

      async findByUserName(userName: string): Promise<Account | null> {
        const data = await serialised(file, () => readAccountsFile(file));
        const accounts = data.applications[app]?.accounts ?? [];
        const same = accounts.filter((a) => a.userName.toLowerCase() === userName.toLowerCase());
        const found = same.find((a) => a.userName === userName) ?? same[0];
        return found === undefined ? null : toAccount(found);
      },

      deactivate(accountId: string): Promise<void> {
        return update((accounts) => {
          const account = accounts.find((a) => a.id === accountId);
          if (account === undefined || !account.active) return { result: undefined, changed: false };
          Object.assign(account, { active: false, updatedAt: new Date().toISOString() });
          return { result: undefined, changed: true };
        });
      },
    };
  };

  return (applicationId: string): AccountProvisioner => {
    const app = applicationId.trim().toLowerCase();
    if (app === '' || (allowed !== undefined && !allowed.includes(app))) {
      throw new IntegrationError(
        'provisioning',
        'NotFound',
        `no application "${applicationId}" in the embedded provisioning stand-in${allowed ? ` (known: ${allowed.join(', ')})` : ''}`,
        false,
      );
    }
    let provisioner = made.get(app);
    if (provisioner === undefined) {
      provisioner = provisionerFor(app);
      made.set(app, provisioner);
    }
    return provisioner;
  };
}
