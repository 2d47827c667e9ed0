/**
 * Secrets for the embedded default only. Production takes every secret from the environment
 * (config refuses to start without them); on a laptop `npm start` makes random ones once and
 * keeps them in DATA_DIR/secrets.json (mode 0600), so sessions, links and the demo API key
 * survive a restart and no secret ever sits in the repository.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const localSecretsSchema = z.object({
  sessionSecret: z.string().min(32),
  linkSecret: z.string().min(32),
  demoPassword: z.string().min(8),
  // Added later than the others: a secrets.json from before it gets one at the next start.
  demoApiKey: z.string().min(16).optional(),
});

export interface LocalSecrets {
  sessionSecret: string;
  linkSecret: string;
  /** The demo organisation's password (embedded directory); '' in production. */
  demoPassword: string;
  /** A bearer key with every API scope that `npm start` prints (embedded only); null in production. */
  demoApiKey: string | null;
}

function readablePassword(): string {
  // No look-alike characters: people type this from the console.
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(10);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** A new demo API key: `sj_demo_` and 24 random characters, safe in a shell without quotes. */
export function newDemoApiKey(): string {
  return `sj_demo_${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`;
}

function write(file: string, secrets: LocalSecrets): void {
  // Write then rename: a process reading at the same moment sees the old file or the new one.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  renameSync(tmp, file);
}

export function loadOrCreateLocalSecrets(dataDir: string): LocalSecrets {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const parsed = localSecretsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success)
      throw new Error(
        `${file} is damaged (${parsed.error.issues[0]?.message ?? 'invalid'}); delete it to make new secrets`,
      );
    const { demoApiKey, ...rest } = parsed.data;
    if (demoApiKey !== undefined) return { ...rest, demoApiKey };
    const upgraded: LocalSecrets = { ...rest, demoApiKey: newDemoApiKey() };
    write(file, upgraded);
    return upgraded;
  }
  mkdirSync(dataDir, { recursive: true });
  const secrets: LocalSecrets = {
    sessionSecret: randomBytes(32).toString('hex'),
    linkSecret: randomBytes(32).toString('hex'),
    demoPassword: readablePassword(),
    demoApiKey: newDemoApiKey(),
  };
  write(file, secrets);
  return secrets;
}
