/**
 * Fulfilment benchmark (not a test): runs a few hundred Expensatron journeys and, on the same
 * Temporal server with the same worker, as many bare workflows with the same number of no-op
 * activities; prints p50/p99 latency and journeys per second for both, and their ratio.
 *
 *   npm run bench:fulfilment                 # 300 of each, 32 in flight
 *   npm run bench:fulfilment -- 500 64       # count, concurrency
 *
 * Its own dev server (embedded/dev-server.ts, in memory). The integrations are INSTANT IN-MEMORY
 * STAND-INS defined below (directory, CMDB, mailer, SMS, SCIM provisioner): they answer at once
 * so the numbers show the journey's orchestration cost, not a mail server's. The activities,
 * message templates and workflow are the real ones. It measures and prints; it asserts nothing.
 */
import { createThrowawayExperienceStore } from '../test/support/experience';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createFulfilmentActivities } from '../activities/fulfilment';
import type { ActivityDeps } from '../activities/deps';
import { prepareRequest } from '../catalog';
import { startDevServer } from '../embedded/dev-server';
import type { Cmdb, Device } from '../integrations/cmdb/types';
import type { Directory, DirectoryUser } from '../integrations/directory/types';
import type { Mailer } from '../integrations/email/types';
import { createMemoryLedger } from '../integrations/ledger/memory-ledger';
import type { Account, AccountProvisioner } from '../integrations/provisioning/types';
import type { SmsSender } from '../integrations/sms/types';
import { fulfilmentWorkflowType, type FulfilmentResult } from '../workflows/fulfilment/definitions';
import type { BareActivities } from './bench-fulfilment-workflows';

const count = Number(process.argv[2] ?? 300);
const concurrency = Number(process.argv[3] ?? 32);
const sequential = 20;
const taskQueue = 'bench-fulfilment';
const runId = Date.now().toString(36);

// ---------------------------------------------------------------------------------------------
// INSTANT IN-MEMORY STAND-INS (bench only): every bench person is in Sales with an Android phone.
// ---------------------------------------------------------------------------------------------

const phoneOf = (i: number): string => `+447700900${String(i % 1000).padStart(3, '0')}`;
const personOf = (accountName: string): DirectoryUser => ({
  accountName,
  dn: `uid=${accountName},ou=People,dc=bench`,
  displayName: `Bench ${accountName}`,
  givenName: 'Bench',
  familyName: accountName,
  email: `${accountName}@bench.example`,
  mobile: null,
  enabled: true,
  groups: ['Sales', 'Sales EMEA'],
});
const instantDirectory: Directory = {
  authenticate: () => Promise.resolve({ ok: false, reason: 'invalid-credentials' }),
  findUser: (accountName) => Promise.resolve(personOf(accountName)),
  close: () => Promise.resolve(),
};
const instantCmdb: Cmdb = {
  findDeviceByPhone: (phone) => Promise.resolve<Device>({ phone, os: 'android', model: 'Pixel', owner: `bench${Number(phone.slice(-3))}` }),
  devicesOf: () => Promise.resolve([]),
  subscriptionsOf: () => Promise.resolve([]),
  getService: () => Promise.resolve(null),
  subscribersPage: () => Promise.resolve({ subscribers: [], nextCursor: null }),
};
let sent = 0;
const instantMailer: Mailer = { send: () => Promise.resolve({ messageId: `<bench-${++sent}@bench>` }), close: () => Promise.resolve() };
const instantSms: SmsSender = { send: (m) => Promise.resolve({ sid: `SM${++sent}`, to: m.to }) };
const accounts = new Map<string, Account>();
const instantProvisioner: AccountProvisioner = {
  ensureAccount(request) {
    const existing = accounts.get(request.userName);
    if (existing) return Promise.resolve({ account: existing, created: false });
    const account = { id: `acc-${accounts.size + 1}`, userName: request.userName, externalId: request.externalId, active: true };
    accounts.set(request.userName, account);
    return Promise.resolve({ account, created: true });
  },
  findByUserName: (userName) => Promise.resolve(accounts.get(userName) ?? null),
  deactivate: () => Promise.resolve(),
};

const deps: ActivityDeps = {
  directory: instantDirectory,
  cmdb: instantCmdb,
  mailer: instantMailer,
  sms: instantSms,
  provisioners: () => instantProvisioner,
  ledger: createMemoryLedger(),
  experience: createThrowawayExperienceStore(),
  settings: { publicUrl: 'http://localhost:3000', linkSecret: 'bench-link-secret-0123456789', serviceDeskEmail: 'servicedesk@bench.example' },
};
const bareActivities: BareActivities = { noop: (step) => Promise.resolve(step) };

// ---------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------

interface Measured {
  latenciesMs: number[];
  wallMs: number;
}

/** Runs `n` items with at most `inFlight` at once; latency = start call → result. */
async function measure(n: number, inFlight: number, one: (i: number) => Promise<void>): Promise<Measured> {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < n) {
      const i = next++;
      const t0 = performance.now();
      await one(i);
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, n) }, lane));
  return { latenciesMs, wallMs: performance.now() - started };
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function journey(client: Client, label: string) {
  return async (i: number): Promise<void> => {
    const { options } = prepareRequest({
      serviceId: 'expensatron',
      requestId: `bench-${runId}-${label}-${i}`,
      requester: `bench${i % 1000}`,
      fields: { phone: phoneOf(i), os: 'android' },
      taskQueue,
    });
    const handle = await client.workflow.start(fulfilmentWorkflowType, options);
    const r = (await handle.result()) as FulfilmentResult;
    if (r.outcome !== 'completed') throw new Error(`journey ${i} ended ${r.outcome}: ${r.reason ?? ''}`);
  };
}

function bare(client: Client, label: string, activities: number) {
  return async (i: number): Promise<void> => {
    await client.workflow.execute('bareWorkflow', { taskQueue, workflowId: `bench-bare-${runId}-${label}-${i}`, args: [activities] });
  };
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main(): Promise<void> {
  console.log(`bench:fulfilment: ${count} Expensatron journeys and ${count} bare workflows, ${concurrency} in flight; ${cpus().length} CPUs`);
  console.log('integrations: INSTANT IN-MEMORY STAND-INS (no network): orchestration cost only');
  const server = await startDevServer({ log: (l) => console.error(l) });
  const workflowsPath = fileURLToPath(new URL('./bench-fulfilment-workflows.ts', import.meta.url));
  const worker = await Worker.create({
    connection: server.env.nativeConnection,
    namespace: server.namespace,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) } }),
    activities: { ...createFulfilmentActivities(deps), ...bareActivities },
  });
  const client = server.env.client;
  try {
    await worker.runUntil(async () => {
      // How many activities one journey schedules: the bare workflow does the same number.
      const probe = await client.workflow.start(fulfilmentWorkflowType, prepareRequest({ serviceId: 'expensatron', requestId: `bench-${runId}-probe`, requester: 'bench999', fields: { phone: phoneOf(999), os: 'android' }, taskQueue }).options);
      await probe.result();
      const activities = ((await probe.fetchHistory()).events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
      console.log(`one journey schedules ${activities} activities; the bare workflow runs ${activities} no-ops`);

      // Warm both paths (bundle load, connections, JIT).
      await measure(20, 10, journey(client, 'warm'));
      await measure(20, 10, bare(client, 'warm', activities));

      const rows: [string, Measured, Measured][] = [];
      const seqJourney = await measure(sequential, 1, journey(client, 'seq'));
      const seqBare = await measure(sequential, 1, bare(client, 'seq', activities));
      rows.push([`one at a time (${sequential} each)`, seqJourney, seqBare]);
      const conJourney = await measure(count, concurrency, journey(client, 'con'));
      const conBare = await measure(count, concurrency, bare(client, 'con', activities));
      rows.push([`${concurrency} in flight (${count} each)`, conJourney, conBare]);

      for (const [label, j, b] of rows) {
        const jp50 = percentile(j.latenciesMs, 50);
        const bp50 = percentile(b.latenciesMs, 50);
        const jp99 = percentile(j.latenciesMs, 99);
        const bp99 = percentile(b.latenciesMs, 99);
        const jRate = (j.latenciesMs.length / j.wallMs) * 1000;
        const bRate = (b.latenciesMs.length / b.wallMs) * 1000;
        console.log(`\n${label}`);
        console.log(`  ${'workflow'.padEnd(22)}${'p50'.padStart(12)}${'p99'.padStart(12)}${'per second'.padStart(14)}`);
        console.log(`  ${'Expensatron journey'.padEnd(22)}${fmt(jp50).padStart(12)}${fmt(jp99).padStart(12)}${jRate.toFixed(1).padStart(14)}`);
        console.log(`  ${`bare (${activities} no-ops)`.padEnd(22)}${fmt(bp50).padStart(12)}${fmt(bp99).padStart(12)}${bRate.toFixed(1).padStart(14)}`);
        console.log(
          `  journey/bare: p50 ×${(jp50 / bp50).toFixed(2)}, p99 ×${(jp99 / bp99).toFixed(2)}, throughput ×${(jRate / bRate).toFixed(2)} ` +
            `(overhead ${(((jp50 - bp50) / bp50) * 100).toFixed(0)}% at p50)`,
        );
      }
    });
  } finally {
    await server.stop();
  }
}

await main();
