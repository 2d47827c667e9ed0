/**
 * The embedded stand-in for the company directory (`npm start`): the Eagle5 demo people of
 * `embedded/demo-org.ts`, all signing in with the one demo password generated at start-up.
 * It answers exactly as the LDAP adapter does: the same reasons, in the same order of checks.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { demoDomain, demoPeople, effectiveGroups, type DemoPerson } from '../../embedded/demo-org';
import type { AuthenticationResult, Directory, DirectoryUser } from './types';

const baseDn = demoDomain
  .split('.')
  .map((part) => `dc=${part}`)
  .join(',');

/**
 * An in-memory {@link Directory} over the demo organisation. `password` is the demo password
 * every person signs in with; it is compared in constant time (over SHA-256 digests, so its
 * length does not leak either). Disabled people get `account-disabled`, but only with the right
 * password, as with AD. Nothing is retried because nothing can fail; every method is idempotent.
 */
export function createEmbeddedDirectory(options: { password: string }): Directory {
  if (options.password.length === 0) throw new Error('createEmbeddedDirectory: the demo password must not be empty');
  const expected = digest(options.password);
  const people = new Map(demoPeople.map((p) => [p.accountName.toLowerCase(), p]));
  let closed = false;

  const lookUp = (accountName: string): DemoPerson | undefined => {
    if (closed) throw new Error('the directory has been closed');
    return typeof accountName === 'string' ? people.get(accountName.trim().toLowerCase()) : undefined;
  };

  return {
    authenticate(accountName: string, password: string): Promise<AuthenticationResult> {
      const person = lookUp(accountName);
      // Compare even for unknown names so that both answers take the same time.
      const matches = typeof password === 'string' && password.length > 0 && timingSafeEqual(digest(password), expected);
      if (person === undefined || !matches) return Promise.resolve({ ok: false, reason: 'invalid-credentials' });
      if (!person.enabled) return Promise.resolve({ ok: false, reason: 'account-disabled' });
      return Promise.resolve({ ok: true, user: toUser(person) });
    },

    findUser(accountName: string): Promise<DirectoryUser | null> {
      const person = lookUp(accountName);
      return Promise.resolve(person === undefined ? null : toUser(person));
    },

    close(): Promise<void> {
      closed = true;
      return Promise.resolve();
    },
  };
}

function toUser(p: DemoPerson): DirectoryUser {
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
    groups: effectiveGroups(p),
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
