import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const script = fileURLToPath(new URL('./append-process.ts', import.meta.url));
const exec = promisify(execFile);

/** Runs two real processes appending to `path` at the same time (see append-process.ts). */
export async function runTwoAppenders(kind: 'outbox' | 'ledger', path: string, count: number): Promise<void> {
  await Promise.all(
    ['a', 'b'].map((prefix) =>
      exec(process.execPath, ['--import', 'tsx', script, kind, path, prefix, String(count)], { timeout: 60_000 }),
    ),
  );
}
