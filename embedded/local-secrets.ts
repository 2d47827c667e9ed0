/**
 * Secrets for the embedded default only. Production takes every secret from the environment
 * (config refuses to start without them); on a laptop `npm start` makes random ones once and
 * keeps them in DATA_DIR/secrets.json (mode 0600), so sessions and links survive a restart and
 * no secret ever sits in the repository.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const localSecretsSchema = z.object({
  sessionSecret: z.string().min(32),
  linkSecret: z.string().min(32),
  demoPassword: z.string().min(8),
});
export type LocalSecrets = z.infer<typeof localSecretsSchema>;

function readablePassword(): string {
  // No look-alike characters: people type this from the console.
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(10);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

export function loadOrCreateLocalSecrets(dataDir: string): LocalSecrets {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const parsed = localSecretsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data;
    throw new Error(`${file} is damaged (${parsed.error.issues[0]?.message ?? 'invalid'}); delete it to make new secrets`);
  }
  mkdirSync(dataDir, { recursive: true });
  const secrets: LocalSecrets = {
    sessionSecret: randomBytes(32).toString('hex'),
    linkSecret: randomBytes(32).toString('hex'),
    demoPassword: readablePassword(),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
