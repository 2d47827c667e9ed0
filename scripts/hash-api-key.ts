/**
 * Makes an API key for another system and the entry to put in API_KEYS.
 *
 *   npx tsx scripts/hash-api-key.ts <name> [scope…]        a new random key
 *   echo -n "$KEY" | npx tsx scripts/hash-api-key.ts --stdin <name> [scope…]   hash an existing key
 *
 * The key is printed once and never stored; only its SHA-256 goes into the configuration.
 */
import { randomBytes } from 'node:crypto';
import { apiKeySchema, apiScopes, hashApiKey } from '../client/api/keys';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const fromStdin = args[0] === '--stdin';
  const [name, ...scopeArgs] = fromStdin ? args.slice(1) : args;
  if (!name) {
    console.error(`usage: hash-api-key.ts [--stdin] <name> [${apiScopes.join('|')} …]`);
    process.exit(2);
  }
  const key = fromStdin ? await readStdin() : `sj_${randomBytes(24).toString('base64url')}`;
  if (key.length < 16) {
    console.error('the key must be at least 16 characters');
    process.exit(2);
  }
  const entry = apiKeySchema.safeParse({
    name,
    hash: hashApiKey(key),
    scopes: scopeArgs.length > 0 ? scopeArgs : ['requests:read'],
  });
  if (!entry.success) {
    console.error(entry.error.issues.map((i) => i.message).join('\n'));
    process.exit(2);
  }
  if (!fromStdin) console.log(`key (give this to ${name}; it is not shown again):\n  ${key}\n`);
  console.log(`API_KEYS entry:\n  ${JSON.stringify(entry.data)}`);
}

await main();
