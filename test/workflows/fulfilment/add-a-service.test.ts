/**
 * Follows catalog/README.md "Add a service" with a service defined here (Travel desk): a plan of
 * existing step kinds, a page and form with `defineService`, registered next to the real ones.
 * Then the portal's search finds it, the API's `prepareRequest` starts it, and the same generic
 * workflow runs it end to end on the real servers. No core file knows about Travel desk.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCatalog, defineService, listServices, type ServicePlan } from '../../../catalog';
import { fulfilmentWorkflowType } from '../../../workflows/fulfilment/definitions';
import { org, startIntegrationEnv, type IntegrationEnv } from '../../support/integration-env';
import { connectTestEnv } from '../../support/temporal';
import { journeyWorker, result } from './helpers';

// Step 2: the plan (what catalog/services/travel-desk/plan.ts would hold).
const travelDeskPlan: ServicePlan = {
  serviceId: 'travel-desk',
  title: 'Travel desk',
  version: 1,
  eligibility: {
    anyOfGroups: ['Sales'],
    requireEnabled: true,
    howToGetAccess: 'Ask your manager to add you to the Sales group.',
  },
  steps: [
    { kind: 'acknowledge' },
    { kind: 'check-eligibility' },
    { kind: 'provision-account', applicationId: 'travel-desk' },
    { kind: 'send-quick-start' },
  ],
  durations: {
    takingLongerAfterSeconds: 30,
    approvalWaitSeconds: 30,
    correctionWaitSeconds: 30,
    taskReminderSeconds: 0,
  },
};

// Step 3: the page and the form (catalog/services/travel-desk/index.ts).
const travelDesk = defineService({
  id: 'travel-desk',
  title: 'Travel desk',
  summary: 'Book trains, flights and hotels for customer visits.',
  description: ['Travel desk books your business trips and keeps the receipts for your expenses.'],
  keywords: ['travel', 'trip', 'booking', 'flight', 'hotel', 'train'],
  whatHappensNext: ['We create your Travel desk account and email you the login.'],
  form: z.object({
    homeAirport: z
      .string()
      .trim()
      .regex(/^[A-Z]{3}$/, 'Three capital letters, e.g. LHR')
      .meta({ title: 'Your usual airport' }),
  }),
  plan: travelDeskPlan,
  guide: { title: 'Travel desk in two minutes', sections: [{ heading: 'Book', text: 'Search, pick, confirm.' }] },
  xla: [{ kind: 'time-to-outcome', percentile: 95, underMs: 120_000 }],
  describeRequest: (fields) => `from ${fields.homeAirport}`,
});

let testEnv: TestWorkflowEnvironment;
let env: IntegrationEnv;

beforeAll(async () => {
  // Step 5: the application's SCIM endpoint.
  [testEnv, env] = await Promise.all([connectTestEnv(), startIntegrationEnv({ scimApplications: ['travel-desk'] })]);
});
afterAll(async () => {
  await env?.stop();
  await testEnv?.teardown();
});

describe('add a service (catalog/README.md)', () => {
  it('registers a new service in one line and runs it end to end with no change to the core', async () => {
    // Step 4: one registry line (here: the list the registry module exports, plus ours).
    const catalog = createCatalog([...listServices(), travelDesk]);
    expect(catalog.search('travel desk')[0]!.id).toBe('travel-desk');
    expect(catalog.get('expensatron')).not.toBeNull();

    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    expect(() =>
      catalog.prepareRequest({
        serviceId: 'travel-desk',
        requestId: 'x1',
        requester: 'steve',
        fields: { homeAirport: 'heathrow' },
        taskQueue,
      }),
    ).toThrow('homeAirport: Three capital letters, e.g. LHR');
    const prepared = catalog.prepareRequest({
      serviceId: 'travel-desk',
      requestId: `td-${Date.now().toString(36)}`,
      requester: 'steve',
      requesterLabel: org.steve.email,
      fields: { homeAirport: 'LHR' },
      taskQueue,
      retryInitialIntervalMs: 100,
    });
    expect(prepared.options.workflowId).toMatch(/^fulfil-travel-desk-td-/);
    expect(prepared.options.staticSummary).toBe(`Travel desk for ${org.steve.email} (from LHR)`);

    const handle = await testEnv.client.workflow.start(fulfilmentWorkflowType, prepared.options);
    const r = await worker.runUntil(result(handle));
    expect(r.outcome).toBe('completed');
    expect(r.stages.map((s) => s.stage)).toEqual([
      'received',
      'eligibility',
      'provisioning',
      'quick-start',
      'completed',
    ]);
    expect(env.scim['travel-desk']!.users().map((u) => [u.userName, u.active])).toEqual([[org.steve.email, true]]);
    const login = env.emailsTo(org.steve.email).find((m) => m.subject === 'Your Travel desk login');
    expect(login?.text).toContain(`${env.settings.publicUrl}/catalog/travel-desk/guide`);
  });
});
