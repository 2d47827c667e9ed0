import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emailConfigFromEnv } from '../../../integrations/email/config';
import { parseMailbox } from '../../../integrations/email/mailbox';
import { ConfigError } from '../../../config/env';

const minimal = { SMTP_HOST: 'smtp.eagle5.example', MAIL_FROM: 'IT Service Desk <it@eagle5.example>' };

function configError(env: Record<string, string | undefined>): string {
  try {
    emailConfigFromEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('emailConfigFromEnv', () => {
  it('applies the defaults: port 587, STARTTLS required, no login', () => {
    expect(emailConfigFromEnv({ ...minimal, SMTP_USER: '', SMTP_PASSWORD: '', SMTP_CA_FILE: '' })).toEqual({
      host: 'smtp.eagle5.example',
      port: 587,
      secure: false,
      requireTls: true,
      auth: null,
      from: { name: 'IT Service Desk', address: 'it@eagle5.example' },
      ca: null,
      timeoutMs: 10_000,
      maxConnections: 3,
    });
  });

  it('reads every variable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sj-email-config-'));
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const config = emailConfigFromEnv({
      SMTP_HOST: 'mail.example',
      SMTP_PORT: '465',
      SMTP_SECURE: 'true',
      SMTP_STARTTLS: 'false',
      SMTP_USER: 'svc',
      SMTP_PASSWORD: 'pw',
      SMTP_CA_FILE: caFile,
      SMTP_TIMEOUT_MS: '2500',
      MAIL_FROM: 'it@eagle5.example',
    });
    expect(config).toMatchObject({
      port: 465,
      secure: true,
      requireTls: false,
      auth: { user: 'svc', password: 'pw' },
      timeoutMs: 2500,
    });
    expect(config.from).toEqual({ name: '', address: 'it@eagle5.example' });
    expect(config.ca).toContain('BEGIN CERTIFICATE');
  });

  it('names each bad variable and hides the password', () => {
    const message = configError({
      SMTP_PORT: '99999',
      SMTP_SECURE: 'maybe',
      MAIL_FROM: 'IT desk',
      SMTP_PASSWORD: 'secret-value',
    });
    expect(message).toContain('SMTP_HOST: required');
    expect(message).toContain('SMTP_PORT: must be between 1 and 65535');
    expect(message).toContain('SMTP_SECURE: must be true or false');
    expect(message).toContain('MAIL_FROM: must be an address or "Name <address>"');
    expect(message).not.toContain('secret-value');
  });

  it('wants SMTP_USER and SMTP_PASSWORD together', () => {
    expect(configError({ ...minimal, SMTP_PASSWORD: 'secret-value' })).toBe(
      'SMTP_USER: required when SMTP_PASSWORD is set (not set)',
    );
    expect(configError({ ...minimal, SMTP_USER: 'svc' })).toBe(
      'SMTP_PASSWORD: required when SMTP_USER is set (not set)',
    );
  });

  it('reports a CA file that cannot be read', () => {
    expect(configError({ ...minimal, SMTP_CA_FILE: '/nonexistent/ca.pem' })).toBe(
      'SMTP_CA_FILE: cannot read /nonexistent/ca.pem (ENOENT)',
    );
  });
});

describe('parseMailbox', () => {
  it.each([
    ['it@eagle5.example', { name: '', address: 'it@eagle5.example' }],
    ['IT Service Desk <it@eagle5.example>', { name: 'IT Service Desk', address: 'it@eagle5.example' }],
    ['"Desk, IT" <it@eagle5.example>', { name: 'Desk, IT', address: 'it@eagle5.example' }],
    ['  <it@eagle5.example>  ', { name: '', address: 'it@eagle5.example' }],
  ])('%s', (input, expected) => {
    expect(parseMailbox(input)).toEqual(expected);
  });

  it.each(['IT desk', 'IT <not an address>', '<it@eagle5.example> trailing', ''])('rejects %j', (input) => {
    expect(parseMailbox(input)).toBeNull();
  });
});
