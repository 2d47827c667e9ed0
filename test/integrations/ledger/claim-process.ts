/**
 * Run as a separate process (a "worker") by the ledger tests: claims the keys `race-0` …
 * `race-<count-1>` in the ledger, all at once, and prints the states it got as one JSON array.
 * Usage: node --import tsx claim-process.ts <file|postgres> <path-or-url> <count>
 * (The URL is a test server's, without a password.)
 */
import { createFileLedger } from '../../../integrations/ledger/file-ledger';
import { createPostgresLedger } from '../../../integrations/ledger/postgres-ledger';
import type { SendLedger } from '../../../integrations/ledger/types';

const [kind, target, countText] = process.argv.slice(2);
if ((kind !== 'file' && kind !== 'postgres') || !target || !countText)
  throw new Error('usage: claim-process.ts <file|postgres> <path-or-url> <count>');
const count = Number(countText);

async function claimAll(ledger: SendLedger): Promise<void> {
  const claims = await Promise.all(Array.from({ length: count }, (_, i) => ledger.claim(`race-${i}`)));
  process.stdout.write(`${JSON.stringify(claims.map((c) => c.state))}\n`);
}

if (kind === 'file') {
  await claimAll(createFileLedger(target));
} else {
  const ledger = createPostgresLedger({ connectionString: target, maxConnections: 4 });
  await claimAll(ledger);
  await ledger.close();
}
