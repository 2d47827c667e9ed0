import { describe, expect, it } from 'vitest';
import { cmdbConfigFromEnv } from '../../../integrations/cmdb/config';
import { ConfigError } from '../../../config/env';

function configError(env: Record<string, string | undefined>): string {
  try {
    cmdbConfigFromEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('cmdbConfigFromEnv', () => {
  it('reads basic auth and the defaults, treating empty values as unset', () => {
    expect(
      cmdbConfigFromEnv({
        SERVICENOW_URL: 'https://eagle5.service-now.com/',
        SERVICENOW_USER: 'svc.journeys',
        SERVICENOW_PASSWORD: 's3cret!',
        SERVICENOW_TOKEN: '',
      }),
    ).toEqual({
      url: 'https://eagle5.service-now.com',
      auth: { kind: 'basic', user: 'svc.journeys', password: 's3cret!' },
      timeoutMs: 10_000,
      serviceIdField: 'u_service_id',
      smsPreferenceField: 'u_prefers_sms',
    });
  });

  it('reads a bearer token, a timeout and the field names', () => {
    expect(
      cmdbConfigFromEnv({
        SERVICENOW_URL: 'http://127.0.0.1:8080',
        SERVICENOW_TOKEN: 'oauth-access-token',
        SERVICENOW_TIMEOUT_MS: '2500',
        SERVICENOW_SERVICE_ID_FIELD: 'number',
        SERVICENOW_SMS_PREFERENCE_FIELD: 'u_sms',
        SERVICENOW_USER: '',
      }),
    ).toMatchObject({
      auth: { kind: 'bearer', token: 'oauth-access-token' },
      timeoutMs: 2500,
      serviceIdField: 'number',
      smsPreferenceField: 'u_sms',
    });
  });

  it('names each missing or bad variable', () => {
    expect(configError({})).toMatch(/^SERVICENOW_URL: .*\(not set\)$/m);
    expect(configError({ SERVICENOW_URL: 'https://x.service-now.com' })).toMatch(
      /SERVICENOW_USER: required unless SERVICENOW_TOKEN is set/,
    );
    expect(configError({ SERVICENOW_URL: 'https://x.service-now.com', SERVICENOW_USER: 'svc' })).toMatch(
      /SERVICENOW_PASSWORD: required unless SERVICENOW_TOKEN/,
    );
    expect(configError({ SERVICENOW_URL: 'ftp://x', SERVICENOW_TOKEN: 'oauth-access-token' })).toMatch(
      /SERVICENOW_URL: must be your instance URL/,
    );
    expect(
      configError({
        SERVICENOW_URL: 'https://x.service-now.com/api/now/table',
        SERVICENOW_TOKEN: 'oauth-access-token',
      }),
    ).toMatch(/SERVICENOW_URL: must be the instance URL without/);
    expect(
      configError({
        SERVICENOW_URL: 'https://x.service-now.com',
        SERVICENOW_TOKEN: 'oauth-access-token',
        SERVICENOW_TIMEOUT_MS: 'soon',
      }),
    ).toMatch(/SERVICENOW_TIMEOUT_MS: must be a number/);
    expect(
      configError({
        SERVICENOW_URL: 'https://x.service-now.com',
        SERVICENOW_TOKEN: 'oauth-access-token',
        SERVICENOW_SERVICE_ID_FIELD: 'u_id^ORactive=true',
      }),
    ).toMatch(/SERVICENOW_SERVICE_ID_FIELD: must be a ServiceNow field name/);
  });

  it('refuses both kinds of credentials at once, without echoing secrets', () => {
    const message = configError({
      SERVICENOW_URL: 'https://x.service-now.com',
      SERVICENOW_USER: 'svc',
      SERVICENOW_PASSWORD: 'hunter2-password',
      SERVICENOW_TOKEN: 'oauth-access-token',
    });
    expect(message).toMatch(/SERVICENOW_TOKEN: set either/);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('oauth-access-token');
  });
});
