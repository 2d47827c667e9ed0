import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveTemporalCli } from '../../embedded/temporal-cli';

describe('Temporal CLI resolution', () => {
  const saved = process.env.TEMPORAL_CLI_PATH;
  afterEach(() => {
    if (saved === undefined) delete process.env.TEMPORAL_CLI_PATH;
    else process.env.TEMPORAL_CLI_PATH = saved;
  });

  it('refuses a TEMPORAL_CLI_PATH that is not an executable', async () => {
    process.env.TEMPORAL_CLI_PATH = '/nonexistent/temporal';
    await expect(resolveTemporalCli(() => undefined)).rejects.toThrow(
      /TEMPORAL_CLI_PATH=\/nonexistent\/temporal is not an executable/,
    );
  });

  it('finds a real temporal CLI on this machine (the pre-test step obtained it)', async () => {
    delete process.env.TEMPORAL_CLI_PATH;
    const cli = await resolveTemporalCli(() => undefined);
    expect(cli.path).not.toBeNull();
    const version = spawnSync(cli.path!, ['--version'], { encoding: 'utf8' });
    expect(version.stdout).toMatch(/temporal version \d+\.\d+\.\d+/);
  });
});
