/**
 * Incident benchmark (not a test): declares an incident on a service with 10,000 and with
 * 100,000 subscribers and prints, for each, the time to notify every subscriber, the largest
 * history (events) of any workflow involved, and the worker's peak memory (RSS).
 *
 *   npm run bench:incident                       # 10,000 and 100,000
 *   npm run bench:incident -- 2000 20000         # other sizes
 *
 * Everything runs locally: its own Temporal dev server (embedded/dev-server.ts) and fast local
 * stand-ins that speak the real wire protocols, so the production adapters are what is measured:
 * an SMTP server (smtp-server) that counts messages without parsing them, an HTTP server that
 * answers the Twilio Messages API and counts, and the ServiceNow-API test server
 * (test/support/servicenow-server.ts) holding the services' synthetic subscribers (every third
 * prefers SMS). The worker (workflows + activities over the production SMTP, Twilio and
 * ServiceNow adapters, an in-memory send ledger) runs in a child process so its memory is
 * measured alone; it samples its own RSS and reports the peak.
 *
 * It measures and prints; it asserts nothing.
 */
import { createThrowawayExperienceStore } from '../test/support/experience';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import type { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createIncidentActivities } from '../activities/incident';
import type { ActivityDeps } from '../activities/deps';
import { startDevServer } from '../embedded/dev-server';
import { createSmtpMailer } from '../integrations/email/smtp-mailer';
import { createMemoryLedger } from '../integrations/ledger/memory-ledger';
import { createTwilioSms } from '../integrations/sms/twilio-sms';
import type { Directory } from '../integrations/directory/types';
import { createServiceNowCmdb } from '../integrations/cmdb/servicenow-cmdb';
import { startServiceNowServer } from '../test/support/servicenow-server';
import {
  incidentStartOptions,
  incidentStatusQuery,
  incidentWorkflowType,
  type IncidentInput,
  type IncidentStatus,
} from '../workflows/incident/definitions';

const taskQueue = 'bench-incident';
/** SMTP connections of the mailer, and messages in flight per notification activity. */
const connections = 48;

interface WorkerConfig {
  address: string;
  namespace: string;
  smtpPort: number;
  twilioBaseUrl: string;
  twilioSid: string;
  twilioToken: string;
  cmdbUrl: string;
  cmdbUser: string;
  cmdbPassword: string;
  /** SMTP connections and messages in flight. */
  connections: number;
  /** The prebuilt workflow bundle (as in production), so bundling is not counted in the worker's memory. */
  workflowBundlePath: string;
}

// ---------------------------------------------------------------------------------------------
// Fast local servers
// ---------------------------------------------------------------------------------------------

/** SMTP that accepts and counts; it never parses (the real test server parses every message). */
async function startCountingSmtp(): Promise<{ port: number; count: () => number; stop: () => Promise<void> }> {
  let accepted = 0;
  const server = new SMTPServer({
    secure: false,
    logger: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    closeTimeout: 200,
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        accepted += 1;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, count: () => accepted, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

/** The Twilio Messages API, answering 201 at once and counting. */
async function startCountingTwilio(sid: string) {
  let accepted = 0;
  const { server, url } = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      accepted += 1;
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sid: `SM${randomBytes(16).toString('hex')}`, account_sid: sid, to: form.get('To'), from: form.get('From'), body: form.get('Body'), status: 'queued' }));
    });
  });
  return { url, count: () => accepted, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

// ---------------------------------------------------------------------------------------------
// The worker (child process)
// ---------------------------------------------------------------------------------------------

/** Not used by the notification passes (they read subscribers from the CMDB): fails loudly if called. */
const noDirectory: Directory = {
  authenticate: () => Promise.reject(new Error('the benchmark has no directory')),
  findUser: () => Promise.reject(new Error('the benchmark has no directory')),
  close: () => Promise.resolve(),
};

async function runWorker(config: WorkerConfig): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
    process.send?.({ rss: peak });
  };
  const timer = setInterval(sample, 250);
  const deps: ActivityDeps = {
    directory: noDirectory,
    cmdb: createServiceNowCmdb({ url: config.cmdbUrl, auth: { kind: 'basic', user: config.cmdbUser, password: config.cmdbPassword }, timeoutMs: 30_000 }),
    mailer: createSmtpMailer({
      host: '127.0.0.1',
      port: config.smtpPort,
      secure: false,
      requireTls: false,
      auth: null,
      from: { name: 'IT Service Desk', address: 'it@eagle5.example' },
      ca: null,
      timeoutMs: 10_000,
      maxConnections: config.connections,
    }),
    sms: createTwilioSms({
      accountSid: config.twilioSid,
      authToken: config.twilioToken,
      from: '+447700900000',
      messagingServiceSid: null,
      apiBaseUrl: config.twilioBaseUrl,
      defaultRegion: 'GB',
      timeoutMs: 10_000,
    }),
    provisioners: () => {
      throw new Error('the benchmark provisions nothing');
    },
    ledger: createMemoryLedger(),
    experience: createThrowawayExperienceStore(),
    settings: { publicUrl: 'http://localhost:3000', linkSecret: randomBytes(24).toString('hex'), serviceDeskEmail: 'servicedesk@eagle5.example' },
  };
  const connection = await NativeConnection.connect({ address: config.address });
  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue,
    workflowBundle: { codePath: config.workflowBundlePath },
    activities: createIncidentActivities(deps),
  });
  process.on('message', (m) => {
    if (m === 'stop') worker.shutdown();
  });
  process.send?.({ ready: true });
  await worker.run();
  sample();
  clearInterval(timer);
  await deps.mailer.close();
  await connection.close();
  // The IPC channel (and the native runtime) would keep this process alive.
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

const quietLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };

const fmtMs = (ms: number) => (ms < 10_000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
const fmtMb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

async function largestHistory(client: Client, incidentId: string): Promise<{ workflowId: string; runId: string; events: number; runs: number }> {
  let largest = { workflowId: '', runId: '', events: 0, runs: 0 };
  for await (const execution of client.workflow.list({ query: `IncidentId = "${incidentId}"` })) {
    largest.runs += 1;
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    const events = history.events?.length ?? 0;
    if (events > largest.events) largest = { ...largest, workflowId: execution.workflowId, runId: execution.runId, events };
  }
  return largest;
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const runs = sizes.length > 0 ? sizes : [10_000, 100_000];
  console.log(`Incident benchmark: ${runs.map((n) => n.toLocaleString('en')).join(' and ')} subscribers (every third prefers SMS as well)`);

  const server = await startDevServer({ log: (l) => console.error(l) });
  const smtp = await startCountingSmtp();
  const twilioSid = `AC${randomBytes(16).toString('hex')}`;
  const twilio = await startCountingTwilio(twilioSid);
  // The ServiceNow-API test server (the CMDB), one service per size with synthetic subscribers.
  const cmdb = await startServiceNowServer({ seed: 'empty' });
  for (const n of runs) {
    cmdb.addService({ id: `bench-${n}`, name: `Bench ${n.toLocaleString('en')}` });
    cmdb.addSyntheticSubscribers(`bench-${n}`, n, { prefix: `b${n}-` });
  }
  console.log(`Servers: Temporal ${server.address}, counting SMTP 127.0.0.1:${smtp.port}, counting Twilio API ${twilio.url}, ServiceNow-API CMDB test server ${cmdb.baseUrl}`);

  const bundleDir = await mkdtemp(join(tmpdir(), 'bench-incident-'));
  const workflowBundlePath = join(bundleDir, 'workflows.js');
  const bundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)), logger: quietLogger });
  await writeFile(workflowBundlePath, bundle.code);

  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--worker'], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      BENCH_WORKER: JSON.stringify({
        address: server.address,
        namespace: server.namespace,
        smtpPort: smtp.port,
        twilioBaseUrl: twilio.url,
        twilioSid,
        twilioToken: randomBytes(16).toString('hex'),
        cmdbUrl: cmdb.baseUrl,
        cmdbUser: cmdb.user,
        cmdbPassword: cmdb.password,
        connections,
        workflowBundlePath,
      } satisfies WorkerConfig),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let peakRss = 0;
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  child.on('message', (m: { rss?: number; ready?: boolean }) => {
    if (m.rss) peakRss = Math.max(peakRss, m.rss);
    if (m.ready) ready();
  });
  await isReady;
  const client = server.env.client;

  const rows: string[] = [];
  try {
    for (const n of runs) {
      const incidentId = `bench-${n}-${Date.now().toString(36)}`;
      const input: IncidentInput = {
        incidentId,
        serviceId: `bench-${n}`,
        title: `Benchmark outage for ${n} subscribers`,
        message: 'The web app does not load. The mobile app works.',
        workaround: { text: 'Use the mobile CRM app.', links: { android: 'https://play.example/crm', ios: 'https://apps.example/crm' } },
        declaredBy: 'ivy',
        scale: { shardCount: Math.max(4, Math.ceil(n / 10_000)), pageSize: 500, pagesPerActivity: 20, sendConcurrency: connections },
      };
      const emailsBefore = smtp.count();
      const smsBefore = twilio.count();
      const started = Date.now();
      const handle = await client.workflow.start(incidentWorkflowType, incidentStartOptions(input, taskQueue));
      let status: IncidentStatus;
      let lastPrint = 0;
      for (;;) {
        status = await handle.query(incidentStatusQuery);
        if (status.subscribers !== null) break;
        if (Date.now() - lastPrint > 5000) {
          lastPrint = Date.now();
          console.log(`  ${n}: ${smtp.count() - emailsBefore} emails, ${twilio.count() - smsBefore} SMS after ${fmtMs(Date.now() - started)}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      const elapsed = Date.now() - started;
      const pass = status.notifications[0]!;
      const largest = await largestHistory(client, incidentId);
      const line = [
        `${n.toLocaleString('en')} subscribers:`,
        `notified all in ${fmtMs(elapsed)} (${Math.round((pass.counts.emailsSent + pass.counts.smsSent) / (elapsed / 1000))} messages/s;`,
        `${pass.counts.emailsSent} emails, ${pass.counts.smsSent} SMS, ${pass.counts.failed} refused; servers received ${smtp.count() - emailsBefore} + ${twilio.count() - smsBefore}),`,
        `largest history ${largest.events} events (${largest.workflowId}, of ${largest.runs} workflow runs),`,
        `worker peak RSS so far ${fmtMb(peakRss)}`,
      ].join(' ');
      console.log(line);
      rows.push(line);
      await handle.terminate('benchmark done');
      for await (const w of client.workflow.list({ query: `IncidentId = "${incidentId}" AND ExecutionStatus = "Running"` })) {
        await client.workflow.getHandle(w.workflowId).terminate('benchmark done');
      }
    }
  } finally {
    console.log('Stopping the worker, the servers and the dev server…');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send('stop');
    const killer = setTimeout(() => child.kill(), 30_000);
    await exited;
    clearTimeout(killer);
    await Promise.all([smtp.stop(), twilio.stop(), cmdb.stop()]);
    await server.stop();
    await rm(bundleDir, { recursive: true, force: true });
  }
  console.log('\nResults');
  for (const r of rows) console.log(`  ${r}`);
  console.log(`  worker peak RSS over the whole run: ${fmtMb(peakRss)}`);
}

if (process.argv.includes('--worker')) {
  await runWorker(JSON.parse(process.env.BENCH_WORKER ?? '{}') as WorkerConfig);
} else {
  await main();
}
