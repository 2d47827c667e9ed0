import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoPeople, effectiveGroups, demoOrganisation } from '../../../embedded/demo-org';
import { createEmbeddedDirectory } from '../../../integrations/directory/embedded-directory';
import { directoryContract } from './contract';

const demoPassword = 'generated-at-start-up-Ωmega';

directoryContract('embedded directory', () =>
  Promise.resolve({
    directory: createEmbeddedDirectory({ organisation: demoOrganisation, password: demoPassword }),
    passwordOf: () => demoPassword,
    teardown: () => Promise.resolve(),
  }),
);

describe('embedded directory', () => {
  it('lets every enabled demo person sign in with the one demo password', async () => {
    const directory = createEmbeddedDirectory({ organisation: demoOrganisation, password: demoPassword });
    for (const person of demoPeople.filter((p) => p.enabled)) {
      const result = await directory.authenticate(person.accountName, demoPassword);
      expect(result).toMatchObject({
        ok: true,
        user: { accountName: person.accountName, groups: effectiveGroups(person) },
      });
    }
  });

  it('refuses a password that is only a prefix or an extension of the demo password', async () => {
    const directory = createEmbeddedDirectory({ organisation: demoOrganisation, password: demoPassword });
    expect(await directory.authenticate('steve', demoPassword.slice(0, -1))).toEqual({
      ok: false,
      reason: 'invalid-credentials',
    });
    expect(await directory.authenticate('steve', `${demoPassword} `)).toEqual({
      ok: false,
      reason: 'invalid-credentials',
    });
  });

  it('will not start without a demo password', () => {
    expect(() => createEmbeddedDirectory({ organisation: demoOrganisation, password: '' })).toThrow(
      /must not be empty/,
    );
  });
});

describe('embedded directory: membership changes kept in a file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sj-embedded-directory-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps them across a restart, as changes from the demo organisation', async () => {
    const membershipsFile = join(dir, 'data', 'directory-memberships.json');
    const first = createEmbeddedDirectory({ organisation: demoOrganisation, password: demoPassword, membershipsFile });
    expect(existsSync(membershipsFile)).toBe(false);
    expect(await first.addMember('dana', 'Sales EMEA')).toBe('added');
    expect(await first.removeMember('tony', 'Sales')).toBe('removed');
    await first.close();
    expect(JSON.parse(await readFile(membershipsFile, 'utf8'))).toEqual({
      added: [['dana', 'sales emea']],
      removed: [['tony', 'sales']],
    });

    const second = createEmbeddedDirectory({ organisation: demoOrganisation, password: demoPassword, membershipsFile });
    expect((await second.findUser('dana'))?.groups).toEqual(['Finance', 'Sales', 'Sales EMEA']);
    expect((await second.findUser('tony'))?.groups).toEqual([]);
    expect(await second.addMember('dana', 'Sales EMEA')).toBe('already-member');
    expect(await second.addMember('tony', 'Sales')).toBe('added');
    expect(await second.removeMember('dana', 'Sales EMEA')).toBe('removed');
    expect(JSON.parse(await readFile(membershipsFile, 'utf8'))).toEqual({ added: [], removed: [] });
    // Without the file, every instance starts from the demo organisation.
    expect(
      (await createEmbeddedDirectory({ organisation: demoOrganisation, password: demoPassword }).findUser('dana'))
        ?.groups,
    ).toEqual(['Finance']);
  });

  it('does not make a change it cannot keep', async () => {
    // A file where its folder should be: every write fails.
    await writeFile(join(dir, 'not-a-folder'), '');
    const directory = createEmbeddedDirectory({
      organisation: demoOrganisation,
      password: demoPassword,
      membershipsFile: join(dir, 'not-a-folder', 'memberships.json'),
    });
    await expect(directory.addMember('dana', 'Sales EMEA')).rejects.toThrow();
    expect(await directory.isMember('dana', 'Sales EMEA')).toBe(false);
    await expect(directory.removeMember('tony', 'Sales')).rejects.toThrow();
    expect(await directory.isMember('tony', 'Sales')).toBe(true);
  });
});
