/**
 * Follows catalog/README.md "Add a step kind" with a kind defined here, `print-badge` (prints the
 * requester's building badge): its settings and unit (./add-a-step-kind/print-badge.ts), its
 * activities as a factory (./add-a-step-kind/badge-activities.ts), its one registry line
 * (./add-a-step-kind/register.ts, in place of workflows/fulfilment/step-kinds.ts both in the
 * workflow bundle and here), and a service that uses it. The catalog then checks it like any
 * other kind, and the same generic workflow runs it end to end on the real servers: its stage and
 * label on the status page and the `Stage` search attribute, the form field it reads.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createActivities } from '../../../activities';
import { createCatalog, defineService, listServices, type CatalogService } from '../../../catalog';
import {
  fulfilmentWorkflowType,
  planProblems,
  planStages,
  type FulfilmentStep,
} from '../../../workflows/fulfilment/definitions';
import { Stage } from '../../../workflows/shared/search-attributes';
import { org, startIntegrationEnv, type IntegrationEnv } from '../../support/integration-env';
import { bundleTestWorkflows, connectTestEnv, createTestWorker, uniqueTaskQueue } from '../../support/temporal';
import { createBadgeActivities, type BadgeJob } from './add-a-step-kind/badge-activities';
import type { PrintBadgeStep } from './add-a-step-kind/print-badge';
import { fastDurations, result, waitForStatus } from './helpers';

// Step 4 here: the catalog and the API read the registry with the kind's line added.
vi.mock('../../../workflows/fulfilment/step-kinds', async (importOriginal) => {
  const { withPrintBadge } = await import('./add-a-step-kind/register');
  return withPrintBadge(await importOriginal());
});

const registry = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** A print-badge step in a plan (its type would join FulfilmentStep through the real registry's line). */
function printBadge(printer: string): FulfilmentStep {
  const step: PrintBadgeStep = { kind: 'print-badge', printer };
  return step as unknown as FulfilmentStep;
}

// Step 5: a service that uses it.
const buildingBadge: CatalogService = defineService({
  id: 'building-badge',
  title: 'Building badge',
  summary: 'A badge that opens the office doors.',
  description: ['Your badge opens the doors of the floors you work on.'],
  keywords: ['badge', 'door', 'pass'],
  whatHappensNext: ['We print your badge at reception.'],
  form: z.object({
    nameOnBadge: z.string().trim().min(2).max(40).meta({ title: 'Name on the badge' }),
  }),
  plan: {
    serviceId: 'building-badge',
    title: 'Building badge',
    version: 1,
    eligibility: { anyOfGroups: [], requireEnabled: true, howToGetAccess: 'Ask the service desk.' },
    steps: [{ kind: 'acknowledge' }, { kind: 'check-eligibility' }, printBadge('Reception')],
    durations: fastDurations,
  },
  guide: { title: 'Your badge', sections: [{ heading: 'Doors', text: 'Hold it to the reader.' }] },
  xla: [{ kind: 'time-to-outcome', percentile: 95, underMs: 120_000 }],
});

/** The test's printer: holds each job until the test lets it through, so the stage can be seen. */
function heldPrinter() {
  const jobs: BadgeJob[] = [];
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  return {
    jobs,
    release: () => release(),
    print: async (job: BadgeJob) => {
      jobs.push(job);
      await released;
      return `job-${jobs.length}`;
    },
  };
}

let testEnv: TestWorkflowEnvironment;
let env: IntegrationEnv;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [testEnv, env, bundle] = await Promise.all([
    connectTestEnv(),
    startIntegrationEnv(),
    // Step 4 in the worker: the bundle's registry is the one with the kind's line.
    bundleTestWorkflows({
      replaceModules: {
        [registry('../../../workflows/fulfilment/step-kinds.ts')]: registry('./add-a-step-kind/step-kinds.ts'),
      },
    }),
  ]);
});
afterAll(async () => {
  await env?.stop();
  await testEnv?.teardown();
});

describe('add a step kind (catalog/README.md)', () => {
  it('is checked by the catalog like a built-in kind: its stage and label, its settings, the form field it reads', () => {
    expect(planStages(buildingBadge.plan).map((s) => [s.stage, s.label])).toEqual([
      ['received', 'Request received'],
      ['eligibility', 'Checking you can have it'],
      ['badge', 'Printing your badge'],
      ['completed', 'Done'],
    ]);
    expect(() => createCatalog([...listServices(), buildingBadge])).not.toThrow();
    // A form without the field it reads, and settings it refuses.
    expect(() => createCatalog([{ ...buildingBadge, form: z.object({}) }])).toThrow(
      'service building-badge: the print-badge step needs form field nameOnBadge',
    );
    expect(planProblems({ ...buildingBadge.plan, steps: [printBadge(' ')] })).toEqual([
      'plan.steps[0] (print-badge): printer must name a badge printer',
    ]);
    expect(
      planProblems({ ...buildingBadge.plan, steps: [{ kind: 'print-badges' } as unknown as FulfilmentStep] }),
    ).toEqual(['plan.steps[0]: unknown step kind print-badges']);
  });

  it('runs end to end in the generic workflow: the stage shows while it runs, it reads the form', async () => {
    const printer = heldPrinter();
    const taskQueue = uniqueTaskQueue('add-a-kind');
    // Step 2: its activities beside the others (activities/index.ts: one spread).
    const worker = await createTestWorker(testEnv, {
      taskQueue,
      workflowBundle: bundle,
      activities: { ...createActivities(env.deps), ...createBadgeActivities(printer) },
    });
    const catalog = createCatalog([...listServices(), buildingBadge]);
    const prepared = catalog.prepareRequest({
      serviceId: 'building-badge',
      requestId: `bb-${Date.now().toString(36)}`,
      requester: 'steve',
      fields: { nameOnBadge: ' Steve Jones ' },
      taskQueue,
      retryInitialIntervalMs: 100,
    });
    const r = await worker.runUntil(async () => {
      const handle = await testEnv.client.workflow.start(fulfilmentWorkflowType, prepared.options);
      const printing = await waitForStatus(handle, (s) => s.stage === 'badge');
      expect(printing.stageLabel).toBe('Printing your badge');
      expect(printing.stages.find((s) => s.stage === 'badge')?.state).toBe('current');
      expect((await handle.describe()).typedSearchAttributes.get(Stage)).toBe('badge');
      printer.release();
      return result(handle);
    });
    expect(r.outcome).toBe('completed');
    expect(r.stages.map((s) => [s.stage, s.state])).toEqual([
      ['received', 'done'],
      ['eligibility', 'done'],
      ['badge', 'done'],
      ['completed', 'done'],
    ]);
    expect(printer.jobs).toEqual([
      {
        key: `${prepared.options.workflowId}/badge`,
        printer: 'Reception',
        nameOnBadge: 'Steve Jones',
        requester: 'steve',
      },
    ]);
    // The receipt lists the steps ahead by their labels: the new kind's too.
    const receipt = env.emailsTo(org.steve.email).find((m) => m.text?.includes('What happens next'));
    expect(receipt?.text).toContain('Printing your badge');
  });

  it('is unknown to the real workflow bundle until its line is in the registry', async () => {
    const taskQueue = uniqueTaskQueue('add-a-kind-unregistered');
    const worker = await createTestWorker(testEnv, { taskQueue, activities: createActivities(env.deps) });
    const prepared = createCatalog([buildingBadge]).prepareRequest({
      serviceId: 'building-badge',
      requestId: `bb-none-${Date.now().toString(36)}`,
      requester: 'steve',
      fields: { nameOnBadge: 'Steve Jones' },
      taskQueue,
    });
    const failure = await worker.runUntil(
      testEnv.client.workflow.execute(fulfilmentWorkflowType, prepared.options).then(
        () => null,
        (e: unknown) => e as { cause?: { type?: string; message?: string } },
      ),
    );
    expect(failure?.cause?.type).toBe('InvalidFulfilmentInput');
    expect(failure?.cause?.message).toContain('unknown step kind print-badge');
  });
});
