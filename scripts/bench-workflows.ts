/**
 * The workflow bundle entry of the benchmarks (`npm run bench:fulfilment`, `npm run bench:incident`):
 * every workflow the product's worker runs (workflows/index.ts, unchanged), plus a bare workflow
 * that calls a number of no-op activities, one after another, with one of the product's
 * activity option presets and nothing else (no stages, search attributes, timers or queries):
 * what Temporal itself costs for a journey of that shape on the same server and worker.
 */
import { proxyActivities } from '@temporalio/workflow';
import { batch, directoryCall } from '../workflows/shared/activity-options';

export * from '../workflows/index';

/** The bare workflow's only activity (registered by the benchmark worker beside the product's). */
export interface BareActivities {
  benchNoop(step: number): Promise<number>;
}

const noops = {
  directoryCall: proxyActivities<BareActivities>(directoryCall).benchNoop,
  batch: proxyActivities<BareActivities>(batch).benchNoop,
};
export type BarePreset = keyof typeof noops;

/** `activities` sequential no-op activities with the option preset `preset`. */
export async function bareWorkflow(activities: number, preset: BarePreset = 'directoryCall'): Promise<number> {
  const noop = noops[preset];
  let sum = 0;
  for (let i = 0; i < activities; i++) sum += await noop(i);
  return sum;
}
