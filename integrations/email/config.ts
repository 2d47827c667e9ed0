/**
 * SMTP settings from the environment. The worker calls {@link emailConfigFromEnv} at start-up;
 * every problem is reported with the variable's name.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, parseEnv } from '../../config/env';
import { parseMailbox, type Mailbox } from './mailbox';

type Env = Record<string, string | undefined>;

export interface EmailConfig {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465). */
  secure: boolean;
  /** Refuse to send unless the server upgrades with STARTTLS (ignored when `secure`). */
  requireTls: boolean;
  auth: { user: string; password: string } | null;
  /** The From of every message, e.g. `IT Service Desk <it@eagle5.example>`. */
  from: Mailbox;
  /** PEM of a private CA the server's certificate is signed by; null: the system's CAs. */
  ca: string | null;
  /** Limit for connecting, for the greeting and for every socket wait. */
  timeoutMs: number;
  /** Pooled connections kept open to the server. */
  maxConnections: number;
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const emailEnvSchema = z
  .object({
    SMTP_HOST: z.string({ error: 'required: the mail server, e.g. smtp.eagle5.example' }).min(1, 'must not be empty'),
    SMTP_PORT: z.coerce
      .number({ error: 'must be a port number' })
      .int('must be a whole number')
      .min(1, 'must be between 1 and 65535')
      .max(65535, 'must be between 1 and 65535')
      .default(587),
    SMTP_SECURE: bool.default(false),
    SMTP_STARTTLS: bool.default(true),
    SMTP_USER: z.string().optional(),
    SMTP_PASSWORD: z.string().optional(),
    SMTP_CA_FILE: z.string().optional(),
    SMTP_TIMEOUT_MS: z.coerce
      .number({ error: 'must be a number of milliseconds' })
      .int('must be a whole number of milliseconds')
      .min(100, 'must be at least 100')
      .max(300_000, 'must be at most 300000')
      .default(10_000),
    SMTP_MAX_CONNECTIONS: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(1, 'must be at least 1')
      .max(50, 'must be at most 50')
      .default(3),
    MAIL_FROM: z
      .string({ error: 'required: the sender, e.g. IT Service Desk <it@eagle5.example>' })
      .transform((value, ctx) => {
        const mailbox = parseMailbox(value);
        if (!mailbox) {
          ctx.addIssue({
            code: 'custom',
            message: 'must be an address or "Name <address>", e.g. IT Service Desk <it@eagle5.example>',
          });
          return z.NEVER;
        }
        return mailbox;
      }),
  })
  .superRefine((env, ctx) => {
    if (env.SMTP_USER !== undefined && env.SMTP_PASSWORD === undefined) {
      ctx.addIssue({ code: 'custom', path: ['SMTP_PASSWORD'], message: 'required when SMTP_USER is set' });
    }
    if (env.SMTP_PASSWORD !== undefined && env.SMTP_USER === undefined) {
      ctx.addIssue({ code: 'custom', path: ['SMTP_USER'], message: 'required when SMTP_PASSWORD is set' });
    }
  });

/**
 * Reads SMTP_HOST, SMTP_PORT (587), SMTP_SECURE (false; true for 465), SMTP_STARTTLS (true:
 * require the upgrade), SMTP_USER + SMTP_PASSWORD (optional, both or neither), SMTP_CA_FILE
 * (optional PEM, read now so a wrong path fails at start-up), SMTP_TIMEOUT_MS (10000),
 * SMTP_MAX_CONNECTIONS (3) and MAIL_FROM. Empty values count as unset. Throws a ConfigError
 * naming each bad variable.
 */
export function emailConfigFromEnv(env: Env): EmailConfig {
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = parseEnv(emailEnvSchema, set);
  let ca: string | null = null;
  if (parsed.SMTP_CA_FILE !== undefined) {
    try {
      ca = readFileSync(parsed.SMTP_CA_FILE, 'utf8');
    } catch (err) {
      const reason = err instanceof Error && 'code' in err ? String(err.code) : 'unreadable';
      throw new ConfigError(`SMTP_CA_FILE: cannot read ${parsed.SMTP_CA_FILE} (${reason})`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigError(`SMTP_CA_FILE: ${parsed.SMTP_CA_FILE} is not a PEM certificate`);
    }
  }
  return {
    host: parsed.SMTP_HOST,
    port: parsed.SMTP_PORT,
    secure: parsed.SMTP_SECURE,
    requireTls: parsed.SMTP_STARTTLS,
    auth:
      parsed.SMTP_USER !== undefined && parsed.SMTP_PASSWORD !== undefined
        ? { user: parsed.SMTP_USER, password: parsed.SMTP_PASSWORD }
        : null,
    from: parsed.MAIL_FROM,
    ca,
    timeoutMs: parsed.SMTP_TIMEOUT_MS,
    maxConnections: parsed.SMTP_MAX_CONNECTIONS,
  };
}
