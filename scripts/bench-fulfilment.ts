/**
 * Fulfilment benchmark (not a test): Expensatron journeys and, on the same Temporal server and
 * the same worker, a bare workflow with the same number of no-op activities; p50/p99 latency
 * and throughput for both, one at a time and many in flight, and their ratios.
 *
 *   npm run bench:fulfilment                                   # dev server, 200 journeys, 32 in flight
 *   BENCH_TARGET=cluster npm run bench:fulfilment              # the real Temporal server on PostgreSQL
 *   BENCH_JOURNEYS=500 BENCH_IN_FLIGHT=64 npm run bench:fulfilment
 *
 * Knobs: BENCH_JOURNEYS (200: each of journey and bare, in flight), BENCH_IN_FLIGHT (32),
 * BENCH_SEQUENTIAL (20: one at a time), BENCH_WARMUP (10), BENCH_PEOPLE (100: requesters, round
 * robin), and those of scripts/bench-support.ts (BENCH_TARGET, BENCH_EAGER, BENCH_WORKER_OPTIONS).
 *
 * What runs is the product: the worker is built as worker/main.ts builds it (production mode:
 * every activity `createActivities` registers, `createWorker`, the LDAP, ServiceNow, SMTP,
 * Twilio and SCIM adapters, the PostgreSQL send ledger and experience store), in a process of
 * its own, against real protocol servers on loopback (slapd, the ServiceNow-API and SCIM test
 * servers, an SMTP server and the Twilio API that count). The bare workflow runs on the same
 * worker and task queue with the journey's activity options. It fails (exit 1) if any journey
 * ends other than completed, any activity failed, timed out or was retried, the journey
 * schedules an activity the worker does not register, or the servers did not receive exactly
 * the messages and accounts the journeys promise. It measures and prints; it asserts no timing.
 */
import { cpus } from 'node:os';
import type { Client } from '@temporalio/client';
import { prepareRequest } from '../catalog';
import type { ExtraPerson } from '../cluster/local-systems';
import { fulfilmentWorkflowType, type FulfilmentResult } from '../workflows/fulfilment/definitions';
import {
  BenchProblems,
  cpuPerRun,
  cpuSample,
  fmtMs,
  historyFacts,
  inParallel,
  intSetting,
  log,
  machineLine,
  measure,
  percentile,
  smtpConnections,
  startBenchTarget,
  startBenchWorker,
  phasesLine,
  table,
  type TimePhases,
  type Measured,
} from './bench-support';

const args = process.argv.slice(2).map(Number);
const journeys = args[0] ?? intSetting('BENCH_JOURNEYS', 200);
const inFlight = args[1] ?? intSetting('BENCH_IN_FLIGHT', 32);
const sequential = intSetting('BENCH_SEQUENTIAL', 20);
const warmup = intSetting('BENCH_WARMUP', 10, 0);
const peopleCount = Math.min(intSetting('BENCH_PEOPLE', 100), 890);
const taskQueue = `bench-fulfilment-${Date.now().toString(36)}`;
const runId = Date.now().toString(36);

/** Bench requesters: Sales, enabled, each with an Android phone in the CMDB (Ofcom's drama range, clear of Eagle5's numbers). */
function benchPeople(count: number): ExtraPerson[] {
  const eagle5 = new Set(['123', '321', '456', '654', '789', '987']);
  const suffixes = Array.from({ length: 900 }, (_, i) => String(100 + i)).filter((s) => !eagle5.has(s));
  return suffixes.slice(0, count).map((suffix, i) => {
    const phone = `+447700900${suffix}`;
    const name = `bench${String(i).padStart(3, '0')}`;
    return {
      accountName: name,
      givenName: 'Bench',
      familyName: `Requester ${i}`,
      email: `${name}@eagle5.example`,
      mobile: phone,
      enabled: true,
      groups: ['Sales'],
      prefersSms: false,
      device: { phone, os: 'android', model: 'Pixel 8' },
      subscribedTo: [],
    };
  });
}

const people = benchPeople(peopleCount);

interface Started {
  workflowId: string;
  kind: 'journey' | 'bare';
  /** probe, warm, seq (one at a time) or con (in flight). */
  label: string;
}

async function main(): Promise<number> {
  const problems = new BenchProblems();
  const target = await startBenchTarget({ extraPeople: people });
  const worker = await startBenchWorker(target, taskQueue).catch(async (err: unknown) => {
    await target.stop();
    throw err;
  });
  const client: Client = target.client;
  const started: Started[] = [];
  /** Each requester gets one Expensatron account, however many journeys they ran. */
  const requestersUsed = new Set<string>();
  try {
    console.log('bench:fulfilment settings');
    console.log(`  machine        ${machineLine()}`);
    console.log(`  Temporal       ${target.description}`);
    console.log(
      `  worker         the product's (production mode, every activity createActivities registers, createWorker) in its own process, task queue ${taskQueue}`,
    );
    console.log(`                 worker options beyond the product's: ${JSON.stringify(worker.workerOptions)}`);
    console.log(
      `  integrations   LDAP → slapd, ServiceNow → its API test server, SMTP → counting server (${smtpConnections()} connections), Twilio → counting API, SCIM → test server; ledger + experience in PostgreSQL`,
    );
    console.log(
      `  load           ${warmup} warm-up each, ${sequential} one at a time each, ${journeys} each with ${inFlight} in flight; ${people.length} requesters round robin`,
    );

    const journey = (label: string) => async (i: number) => {
      const person = people[i % people.length]!;
      requestersUsed.add(person.accountName);
      const { options } = prepareRequest({
        serviceId: 'expensatron',
        requestId: `bench-${runId}-${label}-${i}`,
        requester: person.accountName,
        fields: { phone: person.mobile!, os: 'android' },
        taskQueue,
      });
      started.push({ workflowId: options.workflowId, kind: 'journey', label });
      const handle = await client.workflow.start(fulfilmentWorkflowType, options);
      const r = (await handle.result()) as FulfilmentResult;
      if (r.outcome !== 'completed')
        problems.add(`journey ${options.workflowId} ended ${r.outcome}: ${r.reason ?? ''}`);
    };

    // The probe: what one journey does, and that it does it without a single failure.
    const before = { emails: target.smtp.count(), sms: target.twilio.count() };
    await journey('probe')(0);
    const probe = await historyFacts(client, started[0]!.workflowId);
    const perJourney = { emails: target.smtp.count() - before.emails, sms: target.twilio.count() - before.sms };
    for (const f of probe.failures) problems.add(`probe: ${f}`);
    const unregistered = [...new Set(probe.activityTypes)].filter((t) => !worker.activities.has(t));
    if (unregistered.length > 0)
      problems.add(`the journey schedules activities the worker does not register: ${unregistered.join(', ')}`);
    const activities = probe.activityTypes.length;
    console.log(
      `  shape          one journey: ${activities} activities (${probe.activityTypes.join(', ')}), ${probe.events} history events, ${perJourney.emails} emails, ${perJourney.sms} SMS`,
    );
    console.log(
      `                 the bare workflow: ${activities} no-op activities in a row, the journey's directory-call options, same worker and task queue`,
    );
    if (problems.list.length > 0) throw new Error('the probe journey did not run cleanly: not measuring');

    const bare = (label: string) => async (i: number) => {
      const workflowId = `bench-bare-${runId}-${label}-${i}`;
      started.push({ workflowId, kind: 'bare', label });
      await client.workflow.execute('bareWorkflow', { taskQueue, workflowId, args: [activities, 'directoryCall'] });
    };

    if (warmup > 0) {
      await measure(warmup, Math.min(10, warmup), journey('warm'));
      await measure(warmup, Math.min(10, warmup), bare('warm'));
    }
    log('measuring one at a time…');
    const seqJourney = await measure(sequential, 1, journey('seq'));
    const seqBare = await measure(sequential, 1, bare('seq'));
    log(`measuring ${inFlight} in flight…`);
    const cpu0 = cpuSample(worker.pid);
    const conJourney = await measure(journeys, inFlight, journey('con'));
    const cpu1 = cpuSample(worker.pid);
    const conBare = await measure(journeys, inFlight, bare('con'));
    const cpu2 = cpuSample(worker.pid);

    // Every workflow of the run, journeys and bare alike: no failed, timed-out or retried activity.
    log(`checking ${started.length} histories…`);
    let checked = 0;
    let benign = 0;
    const seqPhases: Record<Started['kind'], TimePhases[]> = { journey: [], bare: [] };
    const seqActivityMs: Record<string, number[]> = {};
    await inParallel(started, 8, async (s) => {
      const facts = await historyFacts(client, s.workflowId);
      if (s.label === 'seq') seqPhases[s.kind].push(facts.phases);
      if (s.label === 'seq' && s.kind === 'journey')
        for (const [type, ms] of Object.entries(facts.activityMs)) (seqActivityMs[type] ??= []).push(ms);
      for (const f of facts.failures) problems.add(f);
      benign += facts.benign.length;
      if (s.kind === 'bare' && facts.activityTypes.length !== activities)
        problems.add(`${s.workflowId}: ${facts.activityTypes.length} activities, not ${activities}`);
      checked += 1;
    });
    if (benign > 0)
      log(
        `${benign} workflow task(s) refused by the server because a signal arrived meanwhile or the benchmark terminated the run (UnhandledCommand, ForceCloseCommand: not failures)`,
      );
    const journeysRun = started.filter((s) => s.kind === 'journey').length;
    const expected = { emails: perJourney.emails * journeysRun, sms: perJourney.sms * journeysRun };
    const received = { emails: target.smtp.count() - before.emails, sms: target.twilio.count() - before.sms };
    if (received.emails !== expected.emails || received.sms !== expected.sms) {
      problems.add(
        `the servers received ${received.emails} emails and ${received.sms} SMS for ${journeysRun} journeys; expected ${expected.emails} and ${expected.sms}`,
      );
    }
    const accounts = target.systems.scim.expensatron?.userCount() ?? -1;
    const requesters = requestersUsed.size;
    if (accounts !== requesters)
      problems.add(`the SCIM server holds ${accounts} Expensatron accounts for ${requesters} requesters`);

    const rows = (label: string, j: Measured, b: Measured) => {
      const p = (m: Measured, q: number) => percentile(m.latenciesMs, q);
      const rate = (m: Measured) => (m.latenciesMs.length / m.wallMs) * 1000;
      return {
        lines: [
          [`Expensatron journey, ${label}`, fmtMs(p(j, 50)), fmtMs(p(j, 99)), rate(j).toFixed(1)],
          [`bare (${activities} no-ops), ${label}`, fmtMs(p(b, 50)), fmtMs(p(b, 99)), rate(b).toFixed(1)],
        ],
        ratio: [
          `journey/bare, ${label}`,
          `×${(p(j, 50) / p(b, 50)).toFixed(2)}`,
          `×${(p(j, 99) / p(b, 99)).toFixed(2)}`,
          `×${(rate(j) / rate(b)).toFixed(2)}`,
        ],
      };
    };
    const seq = rows('1 in flight', seqJourney, seqBare);
    const con = rows(`${inFlight} in flight`, conJourney, conBare);
    console.log(
      `\nResults (${target.kind}; ${checked} histories checked, ${received.emails} emails and ${received.sms} SMS received, ${accounts} SCIM accounts)`,
    );
    for (const l of table(['workflow', 'p50', 'p99', 'per second'], [...seq.lines, seq.ratio, ...con.lines, con.ratio]))
      console.log(`  ${l}`);
    console.log(
      `  CPU per workflow at ${inFlight} in flight, by process (the rate is bounded by ${cpus().length} CPUs):`,
    );
    console.log(`    journey  ${cpuPerRun(cpu0, cpu1, journeys)}`);
    console.log(`    bare     ${cpuPerRun(cpu1, cpu2, journeys)}`);
    console.log('  where the time goes, 1 in flight:');
    console.log(`    journey  ${phasesLine(seqPhases.journey)}`);
    console.log(`    bare     ${phasesLine(seqPhases.bare)}`);
    console.log(
      `    the journey's activities, scheduled to completed (medians): ${probe.activityTypes.map((t) => `${t} ${fmtMs(percentile(seqActivityMs[t] ?? [], 50))}`).join(', ')}`,
    );
    console.log(
      '  targets (not asserted): journey p50 ≤ 300 ms one at a time on the dev server; journey/bare ≤ ×1.25 at p50 and p99; throughput ≥ ×0.8 of bare',
    );
  } catch (err) {
    problems.add(err instanceof Error ? err.message : String(err));
  } finally {
    await worker.stop();
    await target.stop();
  }
  if (problems.list.length > 0) {
    console.error(
      `\nbench:fulfilment FAILED: ${problems.list.length} problem(s); the figures above (if any) do not count:`,
    );
    for (const p of problems.list.slice(0, 20)) console.error(`  - ${p}`);
    return 1;
  }
  return 0;
}

process.exit(await main());
