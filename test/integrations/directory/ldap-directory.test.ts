/**
 * The LDAP adapter against real slapd instances: OpenLDAP-shaped (uid, groupOfNames, ppolicy)
 * and AD-shaped (msuser.schema: sAMAccountName, userAccountControl). Connection counts come from
 * slapd's own cn=Monitor, not from the adapter.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { directoryConfigFromEnv } from '../../../integrations/directory/config';
import { DirectoryPermissionDeniedError, DirectoryUnavailableError } from '../../../integrations/directory/errors';
import { escapeDnValue, escapeFilterValue } from '../../../integrations/directory/escape';
import { classifyBindRefusal, createLdapDirectory } from '../../../integrations/directory/ldap-directory';
import type { Directory } from '../../../integrations/directory/types';
import { IntegrationError } from '../../../integrations/errors';
import { startSlapd, type SlapdInstance } from '../../support/servers';
import { directoryContract, envFor, expectNotFound } from './contract';

for (const preset of ['openldap', 'active-directory'] as const) {
  directoryContract(`LDAP directory on slapd, ${preset} preset`, async () => {
    const slapd = await startSlapd({ preset });
    const directory = createLdapDirectory(directoryConfigFromEnv(envFor(slapd)));
    return {
      directory,
      passwordOf: slapd.passwordOf,
      noManagers: preset === 'active-directory',
      async teardown() {
        await directory.close();
        await slapd.stop();
      },
    };
  });
}

async function expectIntegrationError(
  promise: Promise<unknown>,
  code: string,
  retryable: boolean,
): Promise<IntegrationError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IntegrationError);
  expect(err).toMatchObject({ system: 'directory', code, retryable });
  return err as IntegrationError;
}

describe('LDAP directory, openldap preset: server behaviour', () => {
  let slapd: SlapdInstance;
  let directory: Directory;
  beforeAll(async () => {
    slapd = await startSlapd({ preset: 'openldap' });
    directory = createLdapDirectory(directoryConfigFromEnv(envFor(slapd)));
  });
  afterAll(async () => {
    await directory?.close();
    await slapd?.stop();
  });

  it('keeps one service connection for many look-ups', async () => {
    const before = await slapd.connections();
    for (let i = 0; i < 10; i++) expect(await directory.findUser('steve')).not.toBeNull();
    await Promise.all(['dana', 'ivy', 'mia', 'tony'].map((n) => directory.findUser(n)));
    const after = await slapd.connections();
    expect(after.total - before.total).toBe(1);
  });

  it('checks a password on a connection of its own and closes it', async () => {
    await directory.findUser('steve');
    const before = await slapd.connections();
    expect(await directory.authenticate('steve', slapd.passwordOf('steve'))).toMatchObject({ ok: true });
    expect(await directory.authenticate('tony', 'wrong')).toMatchObject({ ok: false });
    const after = await slapd.connections();
    expect(after.total - before.total).toBe(2);
    await vi.waitFor(async () => expect((await slapd.connections()).current).toBe(before.current), { timeout: 2_000 });
  });

  it('refuses an empty password before any bind', async () => {
    await directory.findUser('steve');
    const before = await slapd.connections();
    expect(await directory.authenticate('steve', '')).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect((await slapd.connections()).total).toBe(before.total);
  });

  it('answers invalid-credentials when the server itself refuses a locked account (the right password is not confirmed)', async () => {
    expect(await directory.authenticate('lena', slapd.passwordOf('lena'))).toEqual({
      ok: false,
      reason: 'invalid-credentials',
    });
    expect(await directory.findUser('lena')).toMatchObject({ accountName: 'lena', enabled: false, groups: [] });
  });

  it('answers invalid-credentials for an entry that has no password at all', async () => {
    const dn = `uid=kiosk,${slapd.userBaseDn}`;
    await asAdmin(slapd, (admin) =>
      admin.add(dn, { objectClass: 'inetOrgPerson', uid: 'kiosk', cn: 'Kiosk', sn: 'Kiosk' }),
    );
    try {
      expect(await directory.authenticate('kiosk', 'anything')).toEqual({ ok: false, reason: 'invalid-credentials' });
    } finally {
      await asAdmin(slapd, (admin) => admin.del(dn));
    }
  });

  it('refuses to guess when two entries answer to one sign-in name (Conflict)', async () => {
    const dn = `uid=steve,ou=Service Accounts,${slapd.baseDn}`;
    await asAdmin(slapd, (admin) =>
      admin.add(dn, {
        objectClass: 'inetOrgPerson',
        uid: 'steve',
        cn: 'Steve Impostor',
        sn: 'Impostor',
        userPassword: 'impostor',
      }),
    );
    try {
      const directoryOverWholeTree = createLdapDirectory(
        directoryConfigFromEnv(envFor(slapd, { LDAP_USER_BASE_DN: slapd.baseDn })),
      );
      try {
        await expectIntegrationError(directoryOverWholeTree.findUser('steve'), 'Conflict', false);
        await expectIntegrationError(directoryOverWholeTree.authenticate('steve', 'impostor'), 'Conflict', false);
      } finally {
        await directoryOverWholeTree.close();
      }
    } finally {
      await asAdmin(slapd, (admin) => admin.del(dn));
    }
  });

  it('reconnects after the server restarts', async () => {
    expect(await directory.findUser('steve')).not.toBeNull();
    await slapd.restart();
    const before = await slapd.connections();
    expect(await directory.findUser('steve')).toMatchObject({ accountName: 'steve', groups: ['Sales', 'Sales EMEA'] });
    expect((await slapd.connections()).total - before.total).toBe(1);
  });

  it('is Unavailable (retryable) while the server is down, and recovers', async () => {
    const down = createLdapDirectory(
      directoryConfigFromEnv(envFor(slapd, { LDAP_URL: `ldap://127.0.0.1:${await closedPort()}` })),
    );
    try {
      await expectIntegrationError(down.findUser('steve'), 'Unavailable', true);
      await expectIntegrationError(down.authenticate('steve', slapd.passwordOf('steve')), 'Unavailable', true);
    } finally {
      await down.close();
    }
  });

  it('refuses bad service credentials as NotAuthorized, never as a failed sign-in', async () => {
    const badService = createLdapDirectory(
      directoryConfigFromEnv(envFor(slapd, { LDAP_BIND_PASSWORD: 'not-the-password' })),
    );
    try {
      await expectIntegrationError(badService.findUser('steve'), 'NotAuthorized', false);
      const err = await expectIntegrationError(
        badService.authenticate('steve', slapd.passwordOf('steve')),
        'NotAuthorized',
        false,
      );
      expect(err.message).not.toContain('not-the-password');
    } finally {
      await badService.close();
    }
  });

  it('reports a search base that does not exist as InvalidRequest', async () => {
    const wrongBase = createLdapDirectory(
      directoryConfigFromEnv(envFor(slapd, { LDAP_USER_BASE_DN: 'ou=Nowhere,dc=eagle5,dc=example' })),
    );
    try {
      await expectIntegrationError(wrongBase.findUser('steve'), 'InvalidRequest', false);
    } finally {
      await wrongBase.close();
    }
  });
});

describe('LDAP directory, openldap preset: group membership writes', () => {
  let slapd: SlapdInstance;
  let directory: ReturnType<typeof createLdapDirectory>;
  beforeAll(async () => {
    slapd = await startSlapd({ preset: 'openldap' });
    directory = createLdapDirectory(directoryConfigFromEnv(envFor(slapd)));
  });
  afterAll(async () => {
    await directory?.close();
    await slapd?.stop();
  });

  /** The group's member values as slapd holds them (read as the rootdn, not through the adapter). */
  async function membersOf(group: string): Promise<string[]> {
    const { searchEntries } = await asAdmin(slapd, (admin) =>
      admin.search(`cn=${escapeDnValue(group)},${slapd.groupBaseDn}`, { scope: 'base', attributes: ['member'] }),
    );
    const member = searchEntries[0]?.member;
    return (Array.isArray(member) ? member : member === undefined ? [] : [member]).map(String).sort();
  }

  it('writes member with the DN slapd returned, and the memberof overlay follows', async () => {
    expect(await directory.addMember('dana', 'Managers')).toBe('added');
    try {
      expect(await membersOf('Managers')).toEqual([slapd.dnOf('dana'), slapd.dnOf('mia')].sort());
      const { searchEntries } = await asAdmin(slapd, (admin) =>
        admin.search(slapd.dnOf('dana'), { scope: 'base', attributes: ['memberOf'] }),
      );
      expect([searchEntries[0]?.memberOf].flat().sort()).toEqual([
        `cn=Finance,${slapd.groupBaseDn}`,
        `cn=Managers,${slapd.groupBaseDn}`,
      ]);
    } finally {
      expect(await directory.removeMember('dana', 'Managers')).toBe('removed');
    }
    expect(await membersOf('Managers')).toEqual([slapd.dnOf('mia')]);
  });

  it('refuses a read-only service account: DirectoryPermissionDeniedError (NotAuthorized, not retryable); it still reads', async () => {
    const reader = createLdapDirectory(
      directoryConfigFromEnv(
        envFor(slapd, { LDAP_BIND_DN: slapd.readOnlyBindDn, LDAP_BIND_PASSWORD: slapd.readOnlyBindPassword }),
      ),
    );
    try {
      expect(await reader.isMember('steve', 'Sales EMEA')).toBe(true);
      // One call at a time: a second promise made up front could reject before anything awaits it.
      for (const change of [() => reader.addMember('dana', 'Sales EMEA'), () => reader.removeMember('tony', 'Sales')]) {
        const err = await expectIntegrationError(change(), 'NotAuthorized', false);
        expect(err).toBeInstanceOf(DirectoryPermissionDeniedError);
        expect(err.message).toMatch(/may not change the members of cn=(Sales EMEA|Sales),ou=Groups/);
      }
      expect(await membersOf('Sales EMEA')).toEqual([slapd.dnOf('steve')]);
      expect(await reader.isMember('tony', 'Sales')).toBe(true);
    } finally {
      await reader.close();
    }
  });

  it('is DirectoryUnavailableError (retryable) while the server is down', async () => {
    const down = createLdapDirectory(
      directoryConfigFromEnv(envFor(slapd, { LDAP_URL: `ldap://127.0.0.1:${await closedPort()}` })),
    );
    try {
      for (const call of [
        () => down.addMember('dana', 'Managers'),
        () => down.removeMember('tony', 'Sales'),
        () => down.isMember('tony', 'Sales'),
      ]) {
        expect(await expectIntegrationError(call(), 'Unavailable', true)).toBeInstanceOf(DirectoryUnavailableError);
      }
    } finally {
      await down.close();
    }
  });

  it('counts an add whose answer was lost as done: the retry on a fresh connection finds the member already there', async () => {
    const proxy = await startAnswerDroppingProxy(slapd.url);
    const viaProxy = createLdapDirectory(directoryConfigFromEnv(envFor(slapd, { LDAP_URL: proxy.url })));
    try {
      expect(await viaProxy.isMember('dana', 'Managers')).toBe(false);
      proxy.dropNextModifyAnswer();
      // slapd made the change; the adapter saw the connection break instead of the answer.
      expect(await viaProxy.addMember('dana', 'Managers')).toBe('already-member');
      expect(proxy.droppedAnswers()).toBe(1);
      expect(await membersOf('Managers')).toEqual([slapd.dnOf('dana'), slapd.dnOf('mia')].sort());
      proxy.dropNextModifyAnswer();
      expect(await viaProxy.removeMember('dana', 'Managers')).toBe('not-a-member');
      expect(proxy.droppedAnswers()).toBe(2);
      expect(await membersOf('Managers')).toEqual([slapd.dnOf('mia')]);
    } finally {
      await viaProxy.close();
      await proxy.close();
      await directory.removeMember('dana', 'Managers');
    }
  });

  it('writes again after the server restarts', async () => {
    expect(await directory.isMember('ivy', 'Finance')).toBe(false);
    await slapd.restart();
    try {
      expect(await directory.addMember('ivy', 'Finance')).toBe('added');
      expect((await directory.findUser('ivy'))?.groups).toEqual(['Finance', 'IT Staff', 'Service Desk']);
    } finally {
      await directory.removeMember('ivy', 'Finance');
    }
  });

  it('will not empty a groupOfNames (its member is mandatory): Conflict, not retryable, and the member stays', async () => {
    // Finance has dana only.
    const err = await expectIntegrationError(directory.removeMember('dana', 'Finance'), 'Conflict', false);
    expect(err.message).toMatch(/at least one member/);
    expect(await directory.isMember('dana', 'Finance')).toBe(true);
  });

  it('does not find a group outside the group base, however it is named', async () => {
    const outside = `cn=Auditors,ou=Service Accounts,${slapd.baseDn}`;
    await asAdmin(slapd, (admin) =>
      admin.add(outside, { objectClass: 'groupOfNames', cn: 'Auditors', member: [slapd.dnOf('mia')] }),
    );
    try {
      await expectNotFound(directory.addMember('dana', 'Auditors'), 'group');
      await expectNotFound(directory.removeMember('mia', 'Auditors'), 'group');
      await expectNotFound(directory.addMember('dana', outside), 'group');
    } finally {
      await asAdmin(slapd, (admin) => admin.del(outside));
    }
  });

  it('handles people and groups whose DNs need RFC 4514 escaping', async () => {
    const groupName = '#CRM users; "Sales, EMEA" + <all>\\';
    const groupDn = `cn=${escapeDnValue(groupName)},${slapd.groupBaseDn}`;
    const personDn = `cn=${escapeDnValue("O'Brien, Pat = #1")},${slapd.userBaseDn}`;
    await asAdmin(slapd, async (admin) => {
      await admin.add(personDn, {
        objectClass: 'inetOrgPerson',
        uid: 'pat',
        cn: "O'Brien, Pat = #1",
        sn: "O'Brien",
        mail: 'pat@eagle5.example',
      });
      await admin.add(groupDn, { objectClass: 'groupOfNames', cn: groupName, member: [slapd.dnOf('mia')] });
    });
    try {
      // The escaping is what the server expects: the DN was accepted, and a string filter finds exactly this group.
      const { searchEntries } = await asAdmin(slapd, (admin) =>
        admin.search(slapd.groupBaseDn, { filter: `(cn=${escapeFilterValue(groupName)})`, attributes: ['cn'] }),
      );
      expect(searchEntries.map((e) => e.cn)).toEqual([groupName]);
      expect(await directory.addMember('pat', groupName)).toBe('added');
      expect(await directory.addMember('pat', groupName)).toBe('already-member');
      expect(await directory.isMember('pat', groupName)).toBe(true);
      expect((await directory.findUser('pat'))?.groups).toEqual([groupName]);
      expect(await directory.removeMember('pat', groupName)).toBe('removed');
      expect(await directory.removeMember('pat', groupName)).toBe('not-a-member');
      expect((await directory.findUser('pat'))?.groups).toEqual([]);
    } finally {
      await asAdmin(slapd, async (admin) => {
        await admin.del(groupDn);
        await admin.del(personDn);
      });
    }
  });
});

describe('LDAP directory, active-directory preset: AD specifics', () => {
  let slapd: SlapdInstance;
  let directory: Directory;
  beforeAll(async () => {
    slapd = await startSlapd({ preset: 'active-directory' });
    directory = createLdapDirectory(directoryConfigFromEnv(envFor(slapd)));
  });
  afterAll(async () => {
    await directory?.close();
    await slapd?.stop();
  });

  it('signs in with the userPrincipalName too, reporting the sAMAccountName', async () => {
    const result = await directory.authenticate('Steve@Eagle5.example', slapd.passwordOf('steve'));
    expect(result).toMatchObject({ ok: true, user: { accountName: 'steve', dn: slapd.dnOf('steve') } });
  });

  it('with the in-chain strategy, notices that slapd ignores the rule and expands recursively', async () => {
    // Real AD answers the LDAP_MATCHING_RULE_IN_CHAIN search itself; slapd does not know the rule.
    const inChain = createLdapDirectory(directoryConfigFromEnv(envFor(slapd, { LDAP_NESTED_GROUPS: 'in-chain' })));
    try {
      expect((await inChain.findUser('steve'))?.groups).toEqual(['Sales', 'Sales EMEA']);
      expect((await inChain.findUser('ivy'))?.groups).toEqual(['IT Staff', 'Service Desk']);
    } finally {
      await inChain.close();
    }
  });

  it('reads userAccountControl bit 2 as disabled', async () => {
    expect(await directory.findUser('olaf')).toMatchObject({ enabled: false });
    expect(await directory.findUser('tony')).toMatchObject({ enabled: true });
  });
});

describe('classifyBindRefusal (AD bind diagnostics)', () => {
  const ad = (data: string) =>
    `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data ${data}, v4563 Code: 0x31`;

  it('reads 533 (disabled) and 701 (expired) as account-disabled: AD sends them only for the right password', () => {
    expect(classifyBindRefusal(ad('533'))).toBe('account-disabled');
    expect(classifyBindRefusal(ad('701'))).toBe('account-disabled');
  });

  it('reads everything else as invalid credentials, including lock-out, which AD reports even for wrong passwords', () => {
    for (const data of ['52e', '525', '775', '530', '532', '773'])
      expect(classifyBindRefusal(ad(data)), data).toBe('invalid-credentials');
    expect(classifyBindRefusal('Invalid credentials Code: 0x31')).toBe('invalid-credentials');
  });
});

describe('LDAP directory: timeouts', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts connections and never says a word, like a server stuck behind a firewall.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => silent.close(resolve));
  });

  it('gives up after LDAP_TIMEOUT_MS as Unavailable (retryable)', async () => {
    const { port } = silent.address() as AddressInfo;
    const directory = createLdapDirectory(
      directoryConfigFromEnv({
        LDAP_URL: `ldap://127.0.0.1:${port}`,
        LDAP_BIND_DN: 'cn=svc,dc=example',
        LDAP_BIND_PASSWORD: 'pw',
        LDAP_BASE_DN: 'dc=example',
        LDAP_TIMEOUT_MS: '300',
      }),
    );
    try {
      const started = Date.now();
      await expectIntegrationError(directory.findUser('steve'), 'Unavailable', true);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await directory.close();
    }
  });
});

async function asAdmin<T>(slapd: SlapdInstance, work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ url: slapd.url });
  try {
    await admin.bind(slapd.adminDn, slapd.adminPassword);
    return await work(admin);
  } finally {
    await admin.unbind();
  }
}

/**
 * A TCP proxy in front of slapd that can lose one answer: once armed, it passes on the next
 * LDAP modify request and then closes the client's connection instead of passing back slapd's
 * answer, as a network failure right after the server made the change would.
 */
async function startAnswerDroppingProxy(
  target: string,
): Promise<{ url: string; dropNextModifyAnswer(): void; droppedAnswers(): number; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let armed = false;
  let dropped = 0;
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let dropAnswer = false;
    client.on('data', (chunk: Buffer) => {
      if (armed && isModifyRequest(chunk)) {
        armed = false;
        dropAnswer = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!dropAnswer) {
        client.write(chunk);
        return;
      }
      dropped++;
      client.destroy();
      upstream.destroy();
    });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on('close', () => b.destroy());
      a.on('error', () => b.destroy());
      a.on('close', () => sockets.delete(a));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ldap://127.0.0.1:${(server.address() as AddressInfo).port}`,
    dropNextModifyAnswer: () => {
      armed = true;
    },
    droppedAnswers: () => dropped,
    close: () => {
      sockets.forEach((s) => s.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp … }: is the op ModifyRequest ([APPLICATION 6], 0x66)? */
function isModifyRequest(chunk: Buffer): boolean {
  if (chunk[0] !== 0x30 || chunk.length < 2) return false;
  const first = chunk[1] ?? 0;
  let offset = 2 + (first & 0x80 ? first & 0x7f : 0);
  if (chunk[offset] !== 0x02) return false;
  offset += 2 + (chunk[offset + 1] ?? 0);
  return chunk[offset] === 0x66;
}

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
