import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/env';
import { loadCoreConfig } from '../../config/core';

describe('core configuration', () => {
  it('has working defaults for the embedded default', () => {
    const config = loadCoreConfig({});
    expect(config.INTEGRATIONS).toBe('embedded');
    expect(config.HTTP_PORT).toBe(3000);
    expect(config.TEMPORAL_UI_PORT).toBe(8233);
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
  });

  it('names the bad variable and what is wrong, one line each', () => {
    let error: unknown;
    try {
      loadCoreConfig({ HTTP_PORT: 'eighty', TEMPORAL_ADDRESS: 'no-port-here', INTEGRATIONS: 'cloud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as ConfigError).message.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.find((l) => l.startsWith('HTTP_PORT:'))).toMatch(/port number.*got "eighty"/);
    expect(lines.find((l) => l.startsWith('TEMPORAL_ADDRESS:'))).toMatch(/host:port/);
    expect(lines.find((l) => l.startsWith('INTEGRATIONS:'))).toMatch(/embedded or production/);
  });

  it('never echoes a secret value in the message', () => {
    expect(() => loadCoreConfig({ SESSION_SECRET: 'short-but-secret' })).toThrow(/SESSION_SECRET: .*value hidden/);
    expect(() => loadCoreConfig({ SESSION_SECRET: 'short-but-secret' })).not.toThrow(/short-but-secret/);
  });

  it('refuses production without the secrets and the server address', () => {
    expect(() => loadCoreConfig({ INTEGRATIONS: 'production' })).toThrow(
      /TEMPORAL_ADDRESS: required when INTEGRATIONS=production/,
    );
  });
});
