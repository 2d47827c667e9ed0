/**
 * Recorded workflow histories for the replay tests (test/replay/). Journey tests call
 * `recordHistory` after a run; it writes only when RECORD_HISTORIES=1
 * (`npm run histories:record`), so an ordinary `npm test` never changes the replay set.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export const historiesDir = fileURLToPath(new URL('../histories/', import.meta.url));

export function recordingHistories(): boolean {
  return process.env.RECORD_HISTORIES === '1';
}

/**
 * Saves the history of `workflowId` as test/histories/<workflowType>/<name>.json (the format
 * `temporal workflow show --output json` and the Temporal UI's "Download" produce).
 */
export async function recordHistory(
  client: Client,
  workflowId: string,
  name: string,
  runId?: string,
): Promise<string | null> {
  if (!recordingHistories()) return null;
  const handle = client.workflow.getHandle(workflowId, runId);
  const description = await handle.describe();
  const history = await handle.fetchHistory();
  const file = join(historiesDir, description.type, `${name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(historyToJson(history), null, 2) + '\n');
  return file;
}

/**
 * The run ids of `workflowId` in the order they ran: the first run, then each run it continued
 * as new into (read from each run's start event, not from list order).
 */
export async function continueAsNewChain(client: Client, workflowId: string): Promise<string[]> {
  const previousOf = new Map<string, string | null>();
  for await (const run of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    const history = await client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    previousOf.set(run.runId, started?.continuedExecutionRunId || null);
  }
  const chain: string[] = [];
  let next = [...previousOf].find(([, previous]) => previous === null)?.[0];
  while (next !== undefined) {
    chain.push(next);
    const current: string = next;
    next = [...previousOf].find(([, previous]) => previous === current)?.[0];
  }
  return chain;
}

function historyToJson(history: temporal.api.history.v1.IHistory): unknown {
  // The proto JSON form (what the UI downloads), so files are readable and replayable alike.
  return JSON.parse(
    JSON.stringify(history, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)),
  );
}

export interface StoredHistory {
  workflowType: string;
  name: string;
  file: string;
  json: unknown;
}

/** Every recorded history, by workflow type. */
export function loadStoredHistories(): StoredHistory[] {
  if (!existsSync(historiesDir)) return [];
  const out: StoredHistory[] = [];
  for (const workflowType of readdirSync(historiesDir, { withFileTypes: true })) {
    if (!workflowType.isDirectory()) continue;
    for (const entry of readdirSync(join(historiesDir, workflowType.name))) {
      if (!entry.endsWith('.json')) continue;
      const file = join(historiesDir, workflowType.name, entry);
      out.push({
        workflowType: workflowType.name,
        name: entry.replace(/\.json$/, ''),
        file,
        json: JSON.parse(readFileSync(file, 'utf8')) as unknown,
      });
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}
