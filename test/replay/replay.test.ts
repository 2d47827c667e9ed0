/**
 * Replays every recorded history under test/histories with today's workflow code. A change that
 * is not replay-compatible with journeys already running fails here. Histories are recorded from
 * real runs of the journey tests: `npm run histories:record`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { temporal } from '@temporalio/proto';
import { loadStoredHistories, type StoredHistory } from '../support/histories';
import { bundleTestWorkflows, workflowBundle } from '../support/temporal';
import { incidentExperiencePatch, shardNpsReportBoundPatch } from '../../workflows/incident/definitions';
import { journeyEventsPatch } from '../../workflows/shared/events';
import { accessRemovalContinuesAsNewPatch } from '../../workflows/access/definitions';

/** Each patch, the workflow types it guards, and the name ending of the histories from before it. */
const patches = [
  {
    id: incidentExperiencePatch,
    types: ['incidentWorkflow', 'incidentShardWorkflow'],
    before: '-before-experience-patch',
  },
  { id: shardNpsReportBoundPatch, types: ['incidentShardWorkflow'], before: '-before-nps-report-bound' },
  { id: journeyEventsPatch, types: ['fulfilmentWorkflow', 'incidentWorkflow'], before: '-before-journey-events' },
  {
    id: accessRemovalContinuesAsNewPatch,
    types: ['accessGrantWorkflow'],
    before: '-before-removal-continues-as-new',
  },
];
const beforeAnyPatch = (h: StoredHistory) => patches.some((p) => h.name.endsWith(p.before));

const histories = loadStoredHistories();

/** Whether a recorded history carries the marker `patched(patchId)` writes. */
function hasPatchMarker(json: unknown, patchId: string): boolean {
  return decodedPayloads(json).some((text) => text.includes(JSON.stringify(patchId)));
}

/** Workflow types the bundle exports: every `export async function xxxWorkflow` under workflows/. */
function exportedWorkflowTypes(): string[] {
  const root = fileURLToPath(new URL('../../workflows/', import.meta.url));
  const types = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(`${dir}${entry.name}/`);
      else if (entry.name.endsWith('.ts')) {
        for (const m of readFileSync(`${dir}${entry.name}`, 'utf8').matchAll(
          /^export async function (\w+Workflow)\(/gm,
        ))
          types.add(m[1]!);
      }
    }
  };
  walk(root);
  return [...types].sort();
}

async function replay(bundle: Awaited<ReturnType<typeof workflowBundle>>, set: StoredHistory[]) {
  const results = [];
  for await (const r of Worker.runReplayHistories(
    { workflowBundle: bundle },
    set.map((h) => ({
      workflowId: `${h.workflowType}/${h.name}`,
      history: temporal.api.history.v1.History.fromObject(h.json as Record<string, unknown>),
    })),
  )) {
    results.push(r);
  }
  return results;
}

describe('recorded histories', () => {
  it('exist for every workflow type the worker runs', () => {
    const recorded = new Set(histories.map((h) => h.workflowType));
    expect(exportedWorkflowTypes().filter((t) => !recorded.has(t))).toEqual([]);
  });

  it('all replay with the current workflow code', async () => {
    const results = await replay(await workflowBundle(), histories);
    expect(results).toHaveLength(histories.length);
    expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${String(r.error)}`)).toEqual([]);
  }, 120_000);

  it('fail to replay after a deliberately incompatible change', async () => {
    const bundle = await bundleTestWorkflows({
      workflowsPath: fileURLToPath(new URL('./incompatible-workflows.ts', import.meta.url)),
    });
    const fulfilment = histories.filter((h) => h.workflowType === 'fulfilmentWorkflow');
    expect(fulfilment.length).toBeGreaterThan(0);
    const results = await replay(bundle, fulfilment);
    for (const r of results) expect(r.error, r.workflowId).toBeInstanceOf(DeterminismViolationError);
  }, 120_000);

  it('keep the journeys from before each patch, and runs on both sides of a continue-as-new', () => {
    const names = (type: string) => histories.filter((h) => h.workflowType === type).map((h) => h.name);
    for (const patch of patches) {
      for (const type of patch.types) {
        expect(names(type).filter((n) => n.endsWith(patch.before)).length, `${type} ${patch.id}`).toBeGreaterThan(0);
        expect(
          histories.filter((h) => h.workflowType === type && hasPatchMarker(h.json, patch.id)).length,
          `${type} ${patch.id}`,
        ).toBeGreaterThan(0);
      }
    }
    for (const type of ['incidentWorkflow', 'incidentShardWorkflow', 'accessGrantWorkflow']) {
      expect(names(type).filter((n) => n.endsWith('-continues-as-new')).length, type).toBeGreaterThan(0);
      expect(names(type).filter((n) => n.endsWith('-resumed')).length, type).toBeGreaterThan(0);
    }
  });

  it('of journeys from before a change fail to replay had the change shipped without patched()', async () => {
    const shim = fileURLToPath(new URL('./unpatched-workflow-api.ts', import.meta.url));
    const bundle = await bundleTestWorkflows({
      replaceModules: { [createRequire(import.meta.url).resolve('@temporalio/workflow')]: shim },
    });
    const before = histories.filter(beforeAnyPatch);
    for (const patch of patches)
      expect(before.filter((h) => h.name.endsWith(patch.before)).length, patch.id).toBeGreaterThan(0);
    const results = await replay(bundle, before);
    for (const r of results) expect(r.error, r.workflowId).toBeInstanceOf(DeterminismViolationError);
    // The same bundle replays the journeys recorded after the changes: only the guards differ.
    const after = histories.filter((h) => !beforeAnyPatch(h) && patches.some((p) => hasPatchMarker(h.json, p.id)));
    expect(after.length).toBeGreaterThan(0);
    expect(
      (await replay(bundle, after)).filter((r) => r.error).map((r) => `${r.workflowId}: ${String(r.error)}`),
    ).toEqual([]);
  }, 180_000);

  it('contain no password, token or secret in any payload', () => {
    const suspicious = [
      /password/i,
      /token=/i,
      /\bBearer\s/i,
      /\bsj_[A-Za-z0-9]{20,}/,
      /-----BEGIN/,
      /linkSecret|sessionSecret/i,
    ];
    for (const h of histories) {
      const text = decodedPayloads(h.json).join('\n');
      expect(text.length, `${h.file} has payloads`).toBeGreaterThan(0);
      for (const pattern of suspicious) expect(text, `${h.file} matches ${pattern}`).not.toMatch(pattern);
    }
  });
});

/** Every payload's data, base64-decoded, wherever it sits in the history JSON. */
function decodedPayloads(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => decodedPayloads(n, out));
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (typeof record.data === 'string' && record.metadata && typeof record.metadata === 'object') {
      out.push(Buffer.from(record.data, 'base64').toString('utf8'));
    }
    Object.values(record).forEach((v) => decodedPayloads(v, out));
  }
  return out;
}
