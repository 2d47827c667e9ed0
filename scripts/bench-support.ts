/**
 * What both benchmarks share: where Temporal runs (`BENCH_TARGET`), the local protocol servers
 * and PostgreSQL the production adapters talk to, the product's worker in a process of its own
 * (scripts/bench-worker.ts), the workflow bundle with the bare workflow, checks that make a run
 * fail loudly, and the measuring and printing.
 *
 *   BENCH_TARGET=dev-server   (default) the Temporal CLI dev server, in memory (embedded/dev-server.ts)
 *   BENCH_TARGET=cluster      the real Temporal server on PostgreSQL: `startCluster()` in a temp
 *                             DATA_DIR on free ports, or the server at TEMPORAL_ADDRESS if set
 *   BENCH_EAGER=0             dev server only: without eager activity dispatch (the baseline)
 *   BENCH_TRANSFER_POLL_RPS=20  dev server only: history.transferProcessorMaxPollRPS (default
 *                             DEFAULT_TRANSFER_POLL_RPS; 20 is Temporal's own default, the baseline)
 *   BENCH_WORKER_OPTIONS='{"maxConcurrentWorkflowTaskPolls":4}'   worker options on top of the product's
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { bundleWorkflowCode } from '@temporalio/worker';
import { TEMPORAL_SERVER_VERSION } from '../embedded/temporal-server-binaries';
import { startCluster, type Cluster } from '../cluster/cluster';
import { freeClusterPorts } from '../cluster/free-ports';
import { startLocalSystems, type ExtraPerson, type LocalSystems } from '../cluster/local-systems';
import {
  DEFAULT_TRANSFER_POLL_RPS,
  devServerDynamicConfig,
  startDevServer,
  type DevServer,
} from '../embedded/dev-server';
import { TEMPORAL_CLI_VERSION } from '../embedded/temporal-cli';
import {
  startCountingSmtp,
  startCountingTwilio,
  type CountingSmtp,
  type CountingTwilio,
} from '../test/support/counting-servers';
import { startPostgres, type TestPostgres } from '../test/support/postgres';
import type { BenchWorkerConfig, FloorRequest, FloorResult } from './bench-worker';

export const log = (line: string) => console.error(line);

// ---------------------------------------------------------------------------------------------
// Settings from the environment (a bad value stops the run, naming the variable)
// ---------------------------------------------------------------------------------------------

export function intSetting(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: a whole number ≥ ${min} (got "${raw}")`);
  return n;
}

export function listSetting(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`${name}: whole numbers separated by commas, e.g. 10000,100000 (got "${raw}")`);
  return list;
}

export type TargetKind = 'dev-server' | 'cluster';

export function targetSetting(): TargetKind {
  const raw = process.env.BENCH_TARGET ?? 'dev-server';
  if (raw !== 'dev-server' && raw !== 'cluster') throw new Error(`BENCH_TARGET: dev-server or cluster (got "${raw}")`);
  return raw;
}

function workerOptionsSetting(): BenchWorkerConfig['workerOptions'] {
  const raw = process.env.BENCH_WORKER_OPTIONS;
  if (!raw) return {};
  const parsed = JSON.parse(raw) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('BENCH_WORKER_OPTIONS: a JSON object of worker options');
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Where Temporal runs, and the systems the adapters talk to
// ---------------------------------------------------------------------------------------------

export interface BenchTarget {
  kind: TargetKind;
  /** One line for the settings block. */
  description: string;
  address: string;
  namespace: string;
  client: Client;
  /** slapd, the ServiceNow-API and SCIM servers (and unused SMTP/Twilio test servers). */
  systems: LocalSystems;
  /** The journeys' PostgreSQL database: send ledger and experience store. */
  databaseUrl: string;
  smtp: CountingSmtp;
  twilio: CountingTwilio;
  stop(): Promise<void>;
}

export async function startBenchTarget(options: { extraPeople?: ExtraPerson[] } = {}): Promise<BenchTarget> {
  const kind = targetSetting();
  const dir = mkdtempSync(join(tmpdir(), 'sj-bench-'));
  // PostgreSQL runs as its own user when we are root: it must be able to reach its folder inside.
  chmodSync(dir, 0o755);
  const stops: (() => Promise<unknown>)[] = [() => Promise.resolve(rmSync(dir, { recursive: true, force: true }))];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse())
      await stop().catch((err: unknown) => log(`while stopping: ${String(err)}`));
  };
  try {
    const [smtp, twilio] = await Promise.all([startCountingSmtp(), startCountingTwilio()]);
    stops.push(
      () => smtp.stop(),
      () => twilio.stop(),
    );
    let address: string;
    let namespace = 'default';
    let description: string;
    let systems: LocalSystems;
    let databaseUrl: string;
    const ownSystems = async () => {
      const [local, postgres] = await Promise.all([
        startLocalSystems({
          outboxFile: join(dir, 'outbox.jsonl'),
          ...(options.extraPeople ? { extraPeople: options.extraPeople } : {}),
        }),
        startPostgres(),
      ]);
      stops.push(
        () => local.stop(),
        () => postgres.stop(),
      );
      return { local, postgres: postgres satisfies TestPostgres };
    };
    if (kind === 'dev-server') {
      const eager = process.env.BENCH_EAGER !== '0';
      const transferPollRps = intSetting('BENCH_TRANSFER_POLL_RPS', DEFAULT_TRANSFER_POLL_RPS);
      const [server, own] = await Promise.all([
        startDevServer({ eagerActivities: eager, transferPollRps, log }),
        ownSystems(),
      ]);
      stops.push(() => server.stop());
      ({ address, namespace } = server satisfies DevServer);
      description = `Temporal CLI ${TEMPORAL_CLI_VERSION} dev server (in memory), eager activity dispatch ${eager ? 'on' : 'OFF'}, history.transferProcessorMaxPollRPS=${transferPollRps}; PostgreSQL for the ledger and experience store (fsync off)`;
      systems = own.local;
      databaseUrl = await own.postgres.createDatabase('journeys');
    } else if (process.env.TEMPORAL_ADDRESS) {
      address = process.env.TEMPORAL_ADDRESS;
      namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
      const own = await ownSystems();
      description = `the Temporal server at TEMPORAL_ADDRESS=${address}, namespace ${namespace} (search attributes registered: npm run ops:register-search-attributes); PostgreSQL for the ledger and experience store (fsync off)`;
      systems = own.local;
      databaseUrl = await own.postgres.createDatabase('journeys');
    } else {
      const ports = await freeClusterPorts(1);
      log(
        `Starting a throwaway cluster in ${dir} (PostgreSQL ${ports.CLUSTER_POSTGRES_PORT}, Temporal ${ports.TEMPORAL_PORT})…`,
      );
      const cluster: Cluster = await startCluster({
        config: {
          DATA_DIR: dir,
          CLUSTER_WORKERS: 1,
          CLUSTER_HISTORY_SHARDS: 16,
          HTTP_HOST: '127.0.0.1',
          TEMPORAL_NAMESPACE: 'default',
          TEMPORAL_TASK_QUEUE: 'service-journeys',
          ...ports,
        },
        env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' },
        ...(options.extraPeople ? { extraPeople: options.extraPeople } : {}),
        log,
      });
      stops.push(() => cluster.stop());
      address = cluster.temporalAddress;
      const settings = Object.entries(devServerDynamicConfig())
        .map(([key, value]) => `${key}=${value}`)
        .join(', ');
      description = `the real Temporal server ${TEMPORAL_SERVER_VERSION} (startCluster: 16 history shards, PostgreSQL with fsync, cluster/temporal-dynamicconfig.yaml: ${settings}) at ${address}; ledger and experience store in the cluster's PostgreSQL; the cluster's own worker process idles on its task queue`;
      systems = cluster.local!;
      databaseUrl = cluster.journeysDatabaseUrl;
    }
    const connection = await Connection.connect({ address });
    stops.push(() => connection.close());
    return {
      kind,
      description,
      address,
      namespace,
      client: new Client({ connection, namespace }),
      systems,
      databaseUrl,
      smtp,
      twilio,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// The product's worker, in its own process
// ---------------------------------------------------------------------------------------------

export interface BenchWorker {
  /** The worker process's id (for {@link cpuSample}). */
  pid: number;
  /** Every activity name the worker registers. */
  activities: Set<string>;
  workerOptions: BenchWorkerConfig['workerOptions'];
  peakRss(): number;
  floor(request: FloorRequest): Promise<FloorResult>;
  stop(): Promise<void>;
}

/** SMTP connections of the worker's mailer (SMTP_MAX_CONNECTIONS). */
export const smtpConnections = (): number => intSetting('BENCH_SMTP_CONNECTIONS', 48);

/** Bundles scripts/bench-workflows.ts and starts the worker process on `taskQueue`. */
export async function startBenchWorker(target: BenchTarget, taskQueue: string): Promise<BenchWorker> {
  const dir = mkdtempSync(join(tmpdir(), 'sj-bench-worker-'));
  const workflowBundlePath = join(dir, 'workflows.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./bench-workflows.ts', import.meta.url)),
    logger: quietLogger,
  });
  writeFileSync(workflowBundlePath, code);
  const { systems } = target;
  const env: Record<string, string> = {
    // Production mode, as the cluster's workers run: LDAP, ServiceNow, SMTP, Twilio and SCIM
    // adapters, the PostgreSQL send ledger and experience store.
    ...systems.env,
    NODE_ENV: 'production',
    INTEGRATIONS: 'production',
    LOG_LEVEL: 'warn',
    DATA_DIR: join(dir, 'data'),
    TEMPORAL_ADDRESS: target.address,
    TEMPORAL_NAMESPACE: target.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    LINK_SECRET: randomBytes(32).toString('hex'),
    PUBLIC_URL: 'http://127.0.0.1:3000',
    LEDGER_DATABASE_URL: target.databaseUrl,
    EXPERIENCE_DATABASE_URL: target.databaseUrl,
    // The counting servers instead of the parsing test servers.
    SMTP_HOST: target.smtp.host,
    SMTP_PORT: String(target.smtp.port),
    SMTP_STARTTLS: 'false',
    SMTP_MAX_CONNECTIONS: String(smtpConnections()),
    TWILIO_ACCOUNT_SID: target.twilio.accountSid,
    TWILIO_AUTH_TOKEN: target.twilio.authToken,
    TWILIO_API_BASE_URL: target.twilio.baseUrl,
  };
  const workerOptions = workerOptionsSetting();
  const config: BenchWorkerConfig = { env, workflowBundlePath, workerOptions };
  const child: ChildProcess = fork(fileURLToPath(new URL('./bench-worker.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', BENCH_WORKER: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let peak = 0;
  let floorWaiter: { resolve: (r: FloorResult) => void; reject: (e: Error) => void } | null = null;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const activities = await new Promise<string[]>((resolve, reject) => {
    child.on(
      'message',
      (m: { rss?: number; ready?: boolean; activities?: string[]; floorResult?: FloorResult; floorError?: string }) => {
        if (m.rss) peak = Math.max(peak, m.rss);
        if (m.ready) resolve(m.activities ?? []);
        if (m.floorResult) floorWaiter?.resolve(m.floorResult);
        if (m.floorError) floorWaiter?.reject(new Error(`the floor failed in the worker process: ${m.floorError}`));
      },
    );
    void exited.then((code) => reject(new Error(`the benchmark worker exited (code ${code}) before it was ready`)));
  });
  return {
    pid: child.pid ?? 0,
    activities: new Set(activities),
    workerOptions,
    peakRss: () => peak,
    floor(request) {
      return new Promise<FloorResult>((resolve, reject) => {
        floorWaiter = { resolve, reject };
        child.send({ floor: request });
      });
    },
    async stop() {
      if (child.exitCode === null) {
        child.send('stop');
        const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => log(m),
  error: (m: string) => log(m),
};

// ---------------------------------------------------------------------------------------------
// Checks: a run with a failed or unregistered activity, or a failed journey, fails loudly
// ---------------------------------------------------------------------------------------------

export class BenchProblems {
  readonly list: string[] = [];
  add(problem: string): void {
    this.list.push(problem);
    log(`PROBLEM: ${problem}`);
  }
}

/**
 * What went wrong in one run's history: failed or timed-out activities and workflow tasks
 * (retried or not), and the activity types it scheduled; `benign`: workflow tasks the server
 * refused because a signal arrived meanwhile (UnhandledCommand) or cut short by the benchmark's
 * own terminate at the end (ForceCloseCommand), printed but not failures.
 */
export async function historyFacts(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<{
  events: number;
  activityTypes: string[];
  failures: string[];
  benign: string[];
  activityMs: Record<string, number>;
  /** Where the run's time went (ms), from the history's event times. */
  phases: TimePhases;
}> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = new Map<string, string>();
  const activityTypes: string[] = [];
  const failures: string[] = [];
  const benign: string[] = [];
  const { WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;
  // Time from scheduled to completed, summed per activity type.
  const activityMs: Record<string, number> = {};
  const scheduledAt = new Map<string, number>();
  const at = (e: (typeof events)[number]) =>
    Number(String(e.eventTime?.seconds ?? 0)) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
  const phases: TimePhases = { totalMs: 0, activitiesMs: 0, taskQueuedMs: 0, taskInWorkerMs: 0, workflowTasks: 0 };
  let taskScheduledAt: number | null = null;
  let taskStartedAt: number | null = null;
  for (const e of events) {
    if (e.workflowTaskScheduledEventAttributes) taskScheduledAt = at(e);
    if (e.workflowTaskStartedEventAttributes && taskScheduledAt !== null) {
      taskStartedAt = at(e);
      phases.taskQueuedMs += taskStartedAt - taskScheduledAt;
      phases.workflowTasks += 1;
    }
    if (
      (e.workflowTaskCompletedEventAttributes ||
        e.workflowTaskFailedEventAttributes ||
        e.workflowTaskTimedOutEventAttributes) &&
      taskStartedAt !== null
    ) {
      phases.taskInWorkerMs += at(e) - taskStartedAt;
      taskStartedAt = null;
    }
    if (e.activityTaskScheduledEventAttributes) scheduledAt.set(String(e.eventId), at(e));
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const type = scheduled.get(String(done.scheduledEventId)) ?? '?';
      const ms = at(e) - (scheduledAt.get(String(done.scheduledEventId)) ?? at(e));
      activityMs[type] = (activityMs[type] ?? 0) + ms;
      phases.activitiesMs += ms;
    }
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      const type = s.activityType?.name ?? '?';
      scheduled.set(String(e.eventId), type);
      activityTypes.push(type);
    }
    const failed = e.activityTaskFailedEventAttributes;
    if (failed)
      failures.push(
        `${workflowId}: activity ${scheduled.get(String(failed.scheduledEventId)) ?? '?'} failed: ${failed.failure?.message ?? ''}`,
      );
    const timedOut = e.activityTaskTimedOutEventAttributes;
    if (timedOut)
      failures.push(`${workflowId}: activity ${scheduled.get(String(timedOut.scheduledEventId)) ?? '?'} timed out`);
    const started = e.activityTaskStartedEventAttributes;
    if (started && (started.attempt ?? 1) > 1)
      failures.push(
        `${workflowId}: an activity ran ${started.attempt} attempts (${started.lastFailure?.message ?? 'retried'})`,
      );
    const wtf = e.workflowTaskFailedEventAttributes;
    if (wtf) {
      const cause = WorkflowTaskFailedCause[wtf.cause ?? 0] ?? String(wtf.cause);
      // The server refused a completion (continue-as-new) because a signal had just arrived: the
      // worker runs the task again with the signal. Part of how Temporal works, not a failure.
      // Or the benchmark terminated the run (its last step) while a workflow task was open.
      const terminated =
        wtf.cause === WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND &&
        events.some((x) => x.workflowExecutionTerminatedEventAttributes);
      if (wtf.cause === WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND || terminated)
        benign.push(`${workflowId}: ${cause}`);
      else failures.push(`${workflowId}: workflow task failed (${cause}): ${wtf.failure?.message ?? ''}`);
    }
    if (e.workflowTaskTimedOutEventAttributes) failures.push(`${workflowId}: workflow task timed out`);
  }
  if (events.length > 0) phases.totalMs = at(events[events.length - 1]!) - at(events[0]!);
  return { events: events.length, activityTypes, failures, benign, activityMs, phases };
}

/**
 * One run's time by phase, from its history: activities (scheduled to completed, summed; they
 * run one after another in these benchmarks), workflow tasks waiting in the server (scheduled to
 * started: the history service's transfer queue and matching) and running in the worker (started
 * to completed: replay-free activation, commands back). The rest is the start and the gaps between.
 */
export interface TimePhases {
  totalMs: number;
  activitiesMs: number;
  taskQueuedMs: number;
  taskInWorkerMs: number;
  workflowTasks: number;
}

/** Median of each phase over several runs' histories, for the results block. */
export function phasesLine(all: TimePhases[]): string {
  const med = (pick: (p: TimePhases) => number) => percentile(all.map(pick), 50);
  return (
    `${fmtMs(med((p) => p.totalMs))} from start to close in the history: activities ${fmtMs(med((p) => p.activitiesMs))}, ` +
    `${med((p) => p.workflowTasks)} workflow tasks waiting in the server ${fmtMs(med((p) => p.taskQueuedMs))} ` +
    `and running in the worker ${fmtMs(med((p) => p.taskInWorkerMs))} (medians)`
  );
}

/** Runs `fn` over `items`, `parallel` at a time. */
export async function inParallel<T>(
  items: readonly T[],
  parallel: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Measuring and printing
// ---------------------------------------------------------------------------------------------

export interface Measured {
  latenciesMs: number[];
  wallMs: number;
}

/** Runs `n` items with at most `inFlight` at once; latency = start call → result. */
export async function measure(n: number, inFlight: number, one: (i: number) => Promise<void>): Promise<Measured> {
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
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export const fmtMs = (ms: number) =>
  ms < 10_000 ? `${ms.toFixed(ms < 100 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(1)} s`;
export const fmtMb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

/** A plain text table: first column left-aligned, the others right-aligned. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

export function machineLine(): string {
  return `${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? '?'}), load average now ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}, Node ${process.version}`;
}

// ---------------------------------------------------------------------------------------------
// Where the CPU went in a window (Linux /proc), to tell a slow run's cause from the machine's noise
// ---------------------------------------------------------------------------------------------

/** CPU seconds used so far by process group, and the machine's idle and steal seconds. */
export interface CpuSample {
  byGroup: Map<string, number>;
  /** The machine's busy seconds (user, nice, system, irq, softirq) over all CPUs. */
  busy: number;
  idle: number;
  steal: number;
}

/** /proc's clock ticks (USER_HZ, 100 on Linux whatever the kernel's HZ). */
const ticksPerSecond = 100;

/**
 * Reads every process's CPU time from /proc: the worker (`workerPid`), this process (the
 * benchmark and its counting SMTP, Twilio and CMDB servers), the Temporal server, PostgreSQL and
 * the rest. null where there is no /proc.
 */
export function cpuSample(workerPid: number): CpuSample | null {
  let machine: string;
  try {
    machine = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  } catch {
    return null;
  }
  const fields = machine.trim().split(/\s+/).slice(1).map(Number);
  const byGroup = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const rest = stat.slice(close + 2).split(' ');
    // Fields 14 and 15 of proc(5), utime and stime; `rest` starts at field 3.
    const seconds = (Number(rest[11]) + Number(rest[12])) / ticksPerSecond;
    const pid = Number(entry);
    const group =
      pid === workerPid
        ? 'worker'
        : pid === process.pid
          ? 'bench'
          : comm === 'temporal' || comm === 'server'
            ? 'temporal'
            : comm === 'postgres'
              ? 'postgres'
              : 'other';
    byGroup.set(group, (byGroup.get(group) ?? 0) + seconds);
  }
  const f = (i: number) => (fields[i] ?? 0) / ticksPerSecond;
  return { byGroup, busy: f(0) + f(1) + f(2) + f(5) + f(6), idle: f(3) + f(4), steal: f(7) };
}

/**
 * The process groups whose work is the same for the journey and the floor: the benchmark process
 * (its counting SMTP, Twilio and CMDB servers) and, on the dev server, PostgreSQL (the ledger
 * alone; on the cluster it also stores Temporal's state, so it is left out there).
 */
export const sameWorkGroups = (kind: TargetKind): string[] => (kind === 'cluster' ? ['bench'] : ['bench', 'postgres']);

/**
 * CPU seconds of `groups` between two samples. For {@link sameWorkGroups}: a window where it
 * costs more ran on a slower machine, whatever the engine did.
 */
export function groupCpu(from: CpuSample | null, to: CpuSample | null, groups: string[]): number | null {
  if (!from || !to) return null;
  return groups.reduce((sum, g) => sum + (to.byGroup.get(g) ?? 0) - (from.byGroup.get(g) ?? 0), 0);
}

/** The process groups {@link cpuSample} tells apart. */
const cpuGroups = ['worker', 'bench', 'temporal', 'postgres', 'other'];

/**
 * "24.1 ms (worker 12.0, bench 4.1, temporal 6.2, postgres 1.5, other 0.3)": CPU time between two
 * samples divided by the `runs` that the window ran.
 */
export function cpuPerRun(from: CpuSample | null, to: CpuSample | null, runs: number): string {
  if (!from || !to) return 'CPU by process: no /proc here';
  // A group can lose CPU time between the samples when its processes exit (PostgreSQL backends
  // of closed connections): counted as 0, not below.
  const ms = (g: string) => (Math.max(0, groupCpu(from, to, [g]) ?? 0) * 1000) / runs;
  const total = cpuGroups.reduce((sum, g) => sum + ms(g), 0);
  return `${total.toFixed(1)} ms (${cpuGroups.map((g) => `${g} ${ms(g).toFixed(1)}`).join(', ')})`;
}

/** "worker 80.1 s, bench 30.2 s, …; idle 10.0 s, steal 0.3 s" between two samples (processes that ended in between are not counted). */
export function cpuLine(from: CpuSample | null, to: CpuSample | null): string {
  if (!from || !to) return 'CPU by process: no /proc here';
  const used = cpuGroups.map(
    (g) => `${g} ${Math.max(0, (to.byGroup.get(g) ?? 0) - (from.byGroup.get(g) ?? 0)).toFixed(1)} s`,
  );
  const byProcesses = groupCpu(from, to, cpuGroups) ?? 0;
  // Busy time no live process accounts for: processes that ended meanwhile, and the kernel's interrupts.
  const unaccounted = Math.max(0, to.busy - from.busy - byProcesses);
  return `CPU ${used.join(', ')}, unaccounted ${unaccounted.toFixed(1)} s; idle ${(to.idle - from.idle).toFixed(1)} s, steal ${(to.steal - from.steal).toFixed(1)} s`;
}
