/**
 * Incident benchmark (not a test): declares an incident on a service with N subscribers and
 * measures, in the same run and on the same worker process:
 *   - the journey: the incident's first notification pass (every subscriber emailed, every third
 *     texted as well), from the start call until the incident reports everyone told;
 *   - the bare workflow: as many no-op activities in a row as the incident ran, with the same
 *     (batch) activity options: what the engine costs for that shape;
 *   - the no-engine floor: the same adapters at the same concurrency driven by a plain loop over
 *     the same CMDB pages (scripts/bench-worker.ts `runFloor`): what the providers and the
 *     ledger cost without Temporal; run just before and just after the journey, and the journey
 *     compared with their mean (the same process speeds up over its first minute or so);
 * then their ratios, the largest history of any workflow of the incident, and the worker's peak
 * RSS. Each window logs the CPU seconds of every process group (from /proc), and each round says
 * how much CPU the work that is the same in the journey and the floor (the counting servers and,
 * on the dev server, PostgreSQL) took in the journey's window against the floors': a round whose
 * machine ran slow shows there.
 *
 *   npm run bench:incident                                  # 10,000 subscribers on the dev server
 *   BENCH_SUBSCRIBERS=10000,100000 npm run bench:incident   # the full setting (about 10 minutes here)
 *   BENCH_TARGET=cluster npm run bench:incident             # the real Temporal server on PostgreSQL
 *
 * Knobs: BENCH_SUBSCRIBERS (10000; comma-separated sizes), BENCH_ROUNDS (1: incidents per size,
 * each between two floor runs, so R rounds run R + 1 floors; the median ratio is reported, and
 * the spread shows what the machine's minute-to-minute noise does), BENCH_SEND_CONCURRENCY (48: messages
 * in flight per notification activity and in the floor), BENCH_SMTP_CONNECTIONS (48),
 * BENCH_PAGE_SIZE (500), BENCH_PAGES_PER_ACTIVITY (20), BENCH_WARMUP_SUBSCRIBERS (1000: a first
 * incident, bare workflow and floor run that is not reported; 0 = none), and those of
 * scripts/bench-support.ts.
 *
 * The worker is the product's, as worker/main.ts builds it in production mode (every activity
 * `createActivities` registers, the ServiceNow, SMTP and Twilio adapters, the PostgreSQL send
 * ledger), in a process of its own. It fails (exit 1) when a workflow of the incident failed,
 * timed out or retried an activity or a workflow task, schedules an activity the worker does not
 * register, or when the counts of the servers, the incident and the floor disagree. It measures
 * and prints; it asserts no timing.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  incidentStartOptions,
  incidentStatusQuery,
  incidentWorkflowType,
  type IncidentContent,
  type IncidentInput,
  type IncidentStatus,
} from '../workflows/incident/definitions';
import {
  BenchProblems,
  cpuLine,
  cpuSample,
  fmtMb,
  fmtMs,
  historyFacts,
  intSetting,
  listSetting,
  log,
  machineLine,
  percentile,
  groupCpu,
  sameWorkGroups,
  smtpConnections,
  startBenchTarget,
  startBenchWorker,
  table,
} from './bench-support';

const sizes = listSetting(
  'BENCH_SUBSCRIBERS',
  process.argv
    .slice(2)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0).length > 0
    ? process.argv.slice(2).map(Number)
    : [10_000],
);
const sendConcurrency = intSetting('BENCH_SEND_CONCURRENCY', 48);
const pageSize = intSetting('BENCH_PAGE_SIZE', 500);
const pagesPerActivity = intSetting('BENCH_PAGES_PER_ACTIVITY', 20);
const warmup = intSetting('BENCH_WARMUP_SUBSCRIBERS', 1000, 0);
const rounds = intSetting('BENCH_ROUNDS', 1);
const taskQueue = `bench-incident-${Date.now().toString(36)}`;

/** One incident between two floor runs. */
interface Round {
  journeyMs: number;
  /** Scheduled → completed of the notifySubscribers activities, from the incident's history. */
  notifyMs: number;
  floorBeforeMs: number;
  floorAfterMs: number;
  /**
   * CPU seconds of the same work (`sameWorkGroups`) in the journey's window
   * and in the floors' around it (null without /proc).
   */
  sameWork: { journey: number; floorBefore: number; floorAfter: number } | null;
}

interface Row {
  n: number;
  rounds: Round[];
  bareMs: number;
  messages: number;
  activities: number;
  largest: { workflowId: string; events: number; runs: number };
  rss: number;
}

/** The journey's rate as a share of the floors' mean rate around it. */
const rateShare = (r: Round): number => (r.floorBeforeMs + r.floorAfterMs) / 2 / r.journeyMs;

/**
 * The same work's CPU in the journey's window over the floors' mean: about ×1.00 when the machine
 * ran at the same speed; above it, the window ran slower for every process, not just the engine.
 */
const machineDrag = (r: Round): number | null =>
  r.sameWork ? r.sameWork.journey / ((r.sameWork.floorBefore + r.sameWork.floorAfter) / 2) : null;

/** Every run of every workflow of an incident: checked for failures; the largest history. */
async function checkRuns(client: Client, incidentId: string, registered: Set<string>, problems: BenchProblems) {
  let largest = { workflowId: '', events: 0, runs: 0 };
  let incidentActivities = 0;
  let benign = 0;
  let notifyMs = 0;
  for await (const e of client.workflow.list({ query: `IncidentId = "${incidentId}"` })) {
    const facts = await historyFacts(client, e.workflowId, e.runId);
    largest.runs += 1;
    for (const f of facts.failures) problems.add(f);
    benign += facts.benign.length;
    for (const t of new Set(facts.activityTypes))
      if (!registered.has(t)) problems.add(`${e.workflowId} schedules ${t}, which the worker does not register`);
    if (e.type === incidentWorkflowType) {
      incidentActivities += facts.activityTypes.length;
      notifyMs += facts.activityMs.notifySubscribers ?? 0;
    }
    if (facts.events > largest.events) largest = { ...largest, workflowId: e.workflowId, events: facts.events };
  }
  return { largest, incidentActivities, benign, notifyMs };
}

async function main(): Promise<number> {
  const problems = new BenchProblems();
  const target = await startBenchTarget();
  const worker = await startBenchWorker(target, taskQueue).catch(async (err: unknown) => {
    await target.stop();
    throw err;
  });
  const { client, smtp, twilio } = target;
  const sameWork = sameWorkGroups(target.kind);
  const cmdb = target.systems.servicenow;
  const rows: Row[] = [];
  try {
    console.log('bench:incident settings');
    console.log(`  machine        ${machineLine()}`);
    console.log(`  Temporal       ${target.description}`);
    console.log(
      `  worker         the product's (production mode, every activity createActivities registers, createWorker) in its own process, task queue ${taskQueue}`,
    );
    console.log(`                 worker options beyond the product's: ${JSON.stringify(worker.workerOptions)}`);
    console.log(
      `  integrations   ServiceNow → its API test server (synthetic subscribers, every third prefers SMS), SMTP → counting server (${smtpConnections()} connections), Twilio → counting API; ledger in PostgreSQL`,
    );
    console.log(
      `  incident       sizes ${sizes.map((n) => n.toLocaleString('en')).join(', ')}; pageSize ${pageSize}, pagesPerActivity ${pagesPerActivity}, sendConcurrency ${sendConcurrency}, shards max(4, n/10,000); ${rounds} round(s) per size`,
    );
    console.log(
      `  warm-up        ${warmup > 0 ? `an incident, bare workflow and floor over ${warmup.toLocaleString('en')} subscribers first, not reported` : 'none'}`,
    );
    console.log(
      `  floor          the same adapter instances in the worker process: CMDB pages of ${pageSize}, ${sendConcurrency} sends at a time per page, deliverEmail/deliverSms through the same ledger; before and after each journey`,
    );

    // Warm-up, not reported: the worker's first workflows load the bundle, pools connect, code gets hot.
    const plan = [...(warmup > 0 ? [{ n: warmup, report: false }] : []), ...sizes.map((n) => ({ n, report: true }))];
    for (const { n, report } of plan) {
      if (!report) log(`warm-up with ${n} subscribers (engine, bare and floor; not reported)…`);
      const serviceId = `bench-${n}-${Date.now().toString(36)}`;
      cmdb.addService({ id: serviceId, name: `Bench ${n.toLocaleString('en')}` });
      cmdb.addSyntheticSubscribers(serviceId, n, { prefix: `${serviceId}-` });
      const inputFor = (incidentId: string): IncidentInput => ({
        incidentId,
        serviceId,
        title: `Benchmark outage for ${n} subscribers`,
        message: 'The web app does not load. The mobile app works.',
        workaround: {
          text: 'Use the mobile CRM app.',
          links: { android: 'https://play.example/crm', ios: 'https://apps.example/crm' },
        },
        declaredBy: 'ivy',
        scale: { shardCount: Math.max(4, Math.ceil(n / 10_000)), pageSize, pagesPerActivity, sendConcurrency },
      });

      // The floor: the same pass without Temporal (own ledger keys: nothing is skipped), run just
      // before and just after each journey; a journey is compared with the mean of the two around
      // it, so neither side gets the warmer process or the quieter minute.
      let floors = 0;
      const runFloor = async () => {
        const label = `floor ${++floors}`;
        log(`${n}: the no-engine floor (${label})…`);
        const input = inputFor(`${serviceId}-floor-${floors}`);
        const floorIncident: IncidentContent = {
          incidentId: input.incidentId,
          serviceId,
          serviceName: `Bench ${n.toLocaleString('en')}`,
          title: input.title,
          message: input.message,
          workaround: input.workaround ?? null,
        };
        const beforeFloor = { emails: smtp.count(), sms: twilio.count() };
        const cpuFrom = cpuSample(worker.pid);
        const floor = await worker.floor({ incident: floorIncident, pageSize, sendConcurrency });
        const cpuTo = cpuSample(worker.pid);
        log(`  ${n}, ${label}: ${fmtMs(floor.elapsedMs)}; ${cpuLine(cpuFrom, cpuTo)}`);
        const floorGot = { emails: smtp.count() - beforeFloor.emails, sms: twilio.count() - beforeFloor.sms };
        const expectSms = Math.floor(n / 3);
        if (floor.subscribers !== n || floor.emailsSent !== n || floor.smsSent !== expectSms || floor.alreadySent !== 0)
          problems.add(
            `${n}: the floor (${label}) counted ${JSON.stringify(floor)}; expected ${n} emails and ${expectSms} SMS`,
          );
        if (floorGot.emails !== floor.emailsSent || floorGot.sms !== floor.smsSent)
          problems.add(
            `${n}: the servers received ${floorGot.emails} + ${floorGot.sms} from the floor (${label}), which sent ${floor.emailsSent} + ${floor.smsSent}`,
          );
        return { ms: floor.elapsedMs, sameWork: groupCpu(cpuFrom, cpuTo, sameWork) };
      };

      // The journey: one incident, timed from the start call until it reports everyone told.
      const runJourney = async (round: number) => {
        const input = inputFor(`${serviceId}-incident-${round}`);
        const incidentId = input.incidentId;
        log(`${n}: the incident (round ${round} of ${report ? rounds : 1})…`);
        const before = { emails: smtp.count(), sms: twilio.count() };
        const cpuFrom = cpuSample(worker.pid);
        const t0 = performance.now();
        const handle = await client.workflow.start(incidentWorkflowType, incidentStartOptions(input, taskQueue));
        let status: IncidentStatus | null = null;
        let lastPrint = 0;
        let lastQuery = 0;
        for (;;) {
          // Each query is a task for the worker under test: asked every 2 s while the messages go
          // out (to notice a failure) and every 20 ms once the servers have them all, so the
          // benchmark's own polling does not slow the journey down.
          const delivered = smtp.count() - before.emails >= n && twilio.count() - before.sms >= Math.floor(n / 3);
          if (delivered || performance.now() - lastQuery > 2000) {
            lastQuery = performance.now();
            status = await handle.query(incidentStatusQuery);
            if (status.subscribers !== null) break;
          }
          if (performance.now() - lastPrint > 10_000) {
            lastPrint = performance.now();
            log(
              `  ${n}: ${smtp.count() - before.emails} emails, ${twilio.count() - before.sms} SMS after ${fmtMs(performance.now() - t0)}`,
            );
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        const journeyMs = performance.now() - t0;
        const cpuTo = cpuSample(worker.pid);
        log(`  ${n}, round ${round}: ${fmtMs(journeyMs)}; ${cpuLine(cpuFrom, cpuTo)}`);
        const pass = status.notifications[0]!.counts;
        const got = { emails: smtp.count() - before.emails, sms: twilio.count() - before.sms };
        if (pass.subscribers !== n || pass.emailsSent !== n || pass.failed !== 0 || pass.alreadySent !== 0)
          problems.add(`${n}: the incident (round ${round}) counted ${JSON.stringify(pass)}`);
        if (got.emails !== pass.emailsSent || got.sms !== pass.smsSent)
          problems.add(
            `${n}: the servers received ${got.emails} emails and ${got.sms} SMS; the incident (round ${round}) sent ${pass.emailsSent} and ${pass.smsSent}`,
          );
        await handle.terminate('benchmark done');
        for await (const w of client.workflow.list({
          query: `IncidentId = "${incidentId}" AND ExecutionStatus = "Running"`,
        })) {
          // The list may lag (the incident itself, just terminated): a run that already ended is fine.
          await client.workflow
            .getHandle(w.workflowId)
            .terminate('benchmark done')
            .catch((err: unknown) => {
              if (!(err instanceof WorkflowNotFoundError) && !/already completed/i.test(String(err))) throw err;
            });
        }
        const facts = await checkRuns(client, incidentId, worker.activities, problems);
        if (facts.benign > 0)
          log(
            `${n}: ${facts.benign} workflow task(s) refused by the server because a signal arrived meanwhile or the benchmark terminated the run (UnhandledCommand, ForceCloseCommand: not failures)`,
          );
        return { journeyMs, pass, sameWork: groupCpu(cpuFrom, cpuTo, sameWork), ...facts };
      };

      const results: Round[] = [];
      let first: Awaited<ReturnType<typeof runJourney>> | null = null;
      let bareMs = 0;
      let floorBefore = await runFloor();
      for (let round = 1; round <= (report ? rounds : 1); round++) {
        const journey = await runJourney(round);
        if (!first) {
          first = journey;
          // The bare workflow: the incident's activities, as no-ops, with the batch options.
          log(`${n}: the bare workflow (${journey.incidentActivities} no-ops)…`);
          const t1 = performance.now();
          const bareId = `${serviceId}-bare`;
          await client.workflow.execute('bareWorkflow', {
            taskQueue,
            workflowId: bareId,
            args: [journey.incidentActivities, 'batch'],
          });
          bareMs = performance.now() - t1;
          for (const f of (await historyFacts(client, bareId)).failures) problems.add(f);
        }
        const floorAfter = await runFloor();
        const sameWork =
          journey.sameWork !== null && floorBefore.sameWork !== null && floorAfter.sameWork !== null
            ? { journey: journey.sameWork, floorBefore: floorBefore.sameWork, floorAfter: floorAfter.sameWork }
            : null;
        const result: Round = {
          journeyMs: journey.journeyMs,
          notifyMs: journey.notifyMs,
          floorBeforeMs: floorBefore.ms,
          floorAfterMs: floorAfter.ms,
          sameWork,
        };
        results.push(result);
        const drag = machineDrag(result);
        log(
          `${n}: floor ${fmtMs(floorBefore.ms)}, journey ${fmtMs(journey.journeyMs)}, floor ${fmtMs(floorAfter.ms)} (×${rateShare(result).toFixed(2)}${drag === null ? '' : `; same work's CPU ×${drag.toFixed(2)} of the floors'`})${round === 1 ? `, bare ${fmtMs(bareMs)}` : ''}`,
        );
        floorBefore = floorAfter;
        if (journey.largest.events > first.largest.events) first = { ...first, largest: journey.largest };
      }
      if (report)
        rows.push({
          n,
          rounds: results,
          bareMs,
          messages: first!.pass.emailsSent + first!.pass.smsSent,
          activities: first!.incidentActivities,
          largest: first!.largest,
          rss: worker.peakRss(),
        });
    }
  } catch (err) {
    problems.add(err instanceof Error ? (err.stack ?? err.message) : String(err));
  } finally {
    await worker.stop();
    await target.stop();
  }

  if (rows.length > 0) {
    const perSecond = (messages: number, ms: number) => Math.round(messages / (ms / 1000)).toLocaleString('en');
    console.log(`\nResults (${target.kind})`);
    const lines: string[][] = [];
    for (const r of rows) {
      const size = r.n.toLocaleString('en');
      r.rounds.forEach((round, k) => {
        const at = r.rounds.length > 1 ? `${size}, round ${k + 1}` : size;
        if (k === 0)
          lines.push([
            `${at}: no-engine floor, before`,
            fmtMs(round.floorBeforeMs),
            perSecond(r.messages, round.floorBeforeMs),
            'plain loop',
          ]);
        lines.push([
          `${at}: incident (journey)`,
          fmtMs(round.journeyMs),
          perSecond(r.messages, round.journeyMs),
          `${r.activities} activities`,
        ]);
        lines.push([
          `${at}:   of which notifySubscribers`,
          fmtMs(round.notifyMs),
          perSecond(r.messages, round.notifyMs),
          'the activities alone',
        ]);
        lines.push([
          `${at}: no-engine floor, after`,
          fmtMs(round.floorAfterMs),
          perSecond(r.messages, round.floorAfterMs),
          'plain loop',
        ]);
        const drag = machineDrag(round);
        lines.push([
          `${at}: journey/floor`,
          `×${(1 / rateShare(round)).toFixed(2)}`,
          `×${rateShare(round).toFixed(2)}`,
          `of the floors' mean rate${drag === null ? '' : `; same work's CPU ×${drag.toFixed(2)}`}`,
        ]);
      });
      lines.push([`${size}: bare, ${r.activities} no-ops`, fmtMs(r.bareMs), '', 'engine only']);
      if (r.rounds.length > 1) {
        const shares = r.rounds.map(rateShare);
        lines.push([
          `${size}: median of ${r.rounds.length} rounds`,
          '',
          `×${percentile(shares, 50).toFixed(2)}`,
          `of the floors' mean rate (rounds ×${Math.min(...shares).toFixed(2)} to ×${Math.max(...shares).toFixed(2)})`,
        ]);
      }
    }
    for (const l of table(['run', 'time', 'messages/s', ''], lines)) console.log(`  ${l}`);
    for (const r of rows)
      console.log(
        `  ${r.n.toLocaleString('en')}: largest history ${r.largest.events} events (${r.largest.workflowId}, of ${r.largest.runs} workflow runs); worker peak RSS so far ${fmtMb(r.rss)}`,
      );
    console.log(`  worker peak RSS over the whole run: ${fmtMb(worker.peakRss())}`);
    console.log(
      `  same work's CPU: the CPU seconds of ${sameWork.join(' and ')} (the counting servers${target.kind === 'cluster' ? '' : ', the ledger'}) in the journey's window over the floors' mean; they do the same work in both, so above ×1.00 that window ran slower for every process, not only for the engine`,
    );
    console.log(
      "  targets (not asserted): notify-all ≥ ×0.9 of the floor's rate; every history under 10,240 events; worker RSS under 1 GiB",
    );
  }
  if (problems.list.length > 0) {
    console.error(
      `\nbench:incident FAILED: ${problems.list.length} problem(s); the figures above (if any) do not count:`,
    );
    for (const p of problems.list.slice(0, 20)) console.error(`  - ${p}`);
    return 1;
  }
  return 0;
}

process.exit(await main());
