import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { devServerDynamicConfig } from '../../embedded/dev-server';

const clusterConfig = parse(
  readFileSync(new URL('../../cluster/temporal-dynamicconfig.yaml', import.meta.url), 'utf8'),
) as Record<string, { value: unknown; constraints?: unknown }[]>;

describe('Temporal server settings', () => {
  it('the embedded dev server starts with the same ones as the cluster’s server, unconstrained', () => {
    for (const [key, value] of Object.entries(devServerDynamicConfig())) {
      expect(clusterConfig[key], key).toEqual([{ value }]);
    }
  });
});
