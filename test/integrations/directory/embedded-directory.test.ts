import { describe, expect, it } from 'vitest';
import { demoPeople, effectiveGroups } from '../../../embedded/demo-org';
import { createEmbeddedDirectory } from '../../../integrations/directory/embedded-directory';
import { directoryContract } from './contract';

const demoPassword = 'generated-at-start-up-Ωmega';

directoryContract('embedded directory', () =>
  Promise.resolve({
    directory: createEmbeddedDirectory({ password: demoPassword }),
    passwordOf: () => demoPassword,
    teardown: () => Promise.resolve(),
  }),
);

describe('embedded directory', () => {
  it('lets every enabled demo person sign in with the one demo password', async () => {
    const directory = createEmbeddedDirectory({ password: demoPassword });
    for (const person of demoPeople.filter((p) => p.enabled)) {
      const result = await directory.authenticate(person.accountName, demoPassword);
      expect(result).toMatchObject({ ok: true, user: { accountName: person.accountName, groups: effectiveGroups(person) } });
    }
  });

  it('refuses a password that is only a prefix or an extension of the demo password', async () => {
    const directory = createEmbeddedDirectory({ password: demoPassword });
    expect(await directory.authenticate('steve', demoPassword.slice(0, -1))).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect(await directory.authenticate('steve', `${demoPassword} `)).toEqual({ ok: false, reason: 'invalid-credentials' });
  });

  it('will not start without a demo password', () => {
    expect(() => createEmbeddedDirectory({ password: '' })).toThrow(/must not be empty/);
  });
});
