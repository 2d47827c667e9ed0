import { afterEach, describe, expect, it } from 'vitest';
import { IntegrationError } from '../../../integrations/errors';
import { createScimRegistry, provisioningConfigFromEnv } from '../../../integrations/provisioning/config';
import { ConfigError } from '../../../config/env';
import { startScimServer, type TestScimServer } from '../../support/servers';
import { person } from './contract';

function configError(env: Record<string, string | undefined>): string {
  try {
    provisioningConfigFromEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe('provisioningConfigFromEnv', () => {
  it('reads every SCIM_<APP>_URL with its token and timeout', () => {
    expect(
      provisioningConfigFromEnv({
        SCIM_EXPENSATRON_URL: 'https://expensatron.example/scim/v2/',
        SCIM_EXPENSATRON_TOKEN: 'expensatron-token',
        SCIM_TRAVEL_DESK_URL: 'https://travel.example/scim',
        SCIM_TRAVEL_DESK_TOKEN: 'travel-desk-token',
        SCIM_TRAVEL_DESK_TIMEOUT_MS: '2500',
        SCIM_TIMEOUT_MS: '4000',
        SCIM_PAYROLL_URL: '',
        OTHER: 'x',
      }),
    ).toEqual({
      applications: {
        expensatron: {
          baseUrl: 'https://expensatron.example/scim/v2',
          bearerToken: 'expensatron-token',
          timeoutMs: 4000,
        },
        'travel-desk': { baseUrl: 'https://travel.example/scim', bearerToken: 'travel-desk-token', timeoutMs: 2500 },
      },
    });
  });

  it('is fine with no application at all', () => {
    expect(provisioningConfigFromEnv({ SCIM_EXPENSATRON_URL: '', SCIM_EXPENSATRON_TOKEN: '' })).toEqual({
      applications: {},
    });
  });

  it('names each bad variable without showing tokens', () => {
    expect(configError({ SCIM_EXPENSATRON_URL: 'https://expensatron.example/scim/v2' })).toMatch(
      /^SCIM_EXPENSATRON_TOKEN: required/m,
    );
    expect(configError({ SCIM_EXPENSATRON_TOKEN: 'expensatron-token' })).toMatch(
      /^SCIM_EXPENSATRON_URL: required: the SCIM base URL of expensatron/m,
    );
    expect(configError({ SCIM_EXPENSATRON_URL: 'expensatron', SCIM_EXPENSATRON_TOKEN: 'expensatron-token' })).toMatch(
      /^SCIM_EXPENSATRON_URL: must be the SCIM base URL/m,
    );
    const tooShort = configError({ SCIM_EXPENSATRON_URL: 'https://e.example/scim', SCIM_EXPENSATRON_TOKEN: 'abc' });
    expect(tooShort).toMatch(/SCIM_EXPENSATRON_TOKEN: looks too short/);
    expect(tooShort).not.toContain('"abc"');
    expect(
      configError({
        SCIM_EXPENSATRON_URL: 'https://e.example/scim',
        SCIM_EXPENSATRON_TOKEN: 'expensatron-token',
        SCIM_EXPENSATRON_TIMEOUT_MS: '5',
      }),
    ).toMatch(/SCIM_EXPENSATRON_TIMEOUT_MS: must be at least 100/);
  });
});

describe('createScimRegistry', () => {
  it('hands out a working provisioner per configured application, the same one each time', async () => {
    const server: TestScimServer = await startScimServer();
    stops.push(() => server.stop());
    const registry = createScimRegistry(
      provisioningConfigFromEnv({ SCIM_EXPENSATRON_URL: server.baseUrl, SCIM_EXPENSATRON_TOKEN: server.token }),
    );
    expect(registry('expensatron')).toBe(registry('Expensatron'));
    const { created } = await registry('expensatron').ensureAccount(person());
    expect(created).toBe(true);
    expect(server.userCount()).toBe(1);
  });

  it('throws a clear, permanent error for an application it has no settings for', () => {
    const registry = createScimRegistry({
      applications: {
        expensatron: { baseUrl: 'https://e.example/scim', bearerToken: 'expensatron-token', timeoutMs: 1000 },
      },
    });
    let thrown: unknown;
    try {
      registry('travel-desk');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(IntegrationError);
    expect(thrown).toMatchObject({ system: 'provisioning', code: 'NotFound', retryable: false });
    expect((thrown as Error).message).toContain('set SCIM_TRAVEL_DESK_URL and SCIM_TRAVEL_DESK_TOKEN');
    expect((thrown as Error).message).toContain('configured: expensatron');
    expect(() => registry('__proto__')).toThrow(IntegrationError);
  });
});
