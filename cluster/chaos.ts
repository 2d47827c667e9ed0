/**
 * The chaos run: real journeys on the cluster while its programs are killed, then a count on
 * the protocol servers of what people actually received. Used by `npm run chaos` (full size,
 * prints figures) and by test/cluster/chaos.test.ts (small, asserts zero lost and zero
 * duplicates).
 *
 * Load, all through the HTTP API as another system would call it, retrying with the same
 * Idempotency-Key whenever the API is down:
 *  - Expensatron for synthetic sales staff (some submitted twice with one key, at once);
 *  - desk phones, approved by their manager and delivered by the service desk;
 *  - an incident on a service with many subscribers: "this affects me" clicks (some with the
 *    workaround SMS), a resolution, confirmations.
 * Faults, meanwhile: SIGKILL of a random worker every few seconds (restarted a second later),
 * SIGKILL of the API, and SIGKILL of the Temporal server (restarted on the same database).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { hashApiKey } from '../client/api/keys';
import { readInDoubtResends } from '../integrations/ledger/postgres-ledger';
import { startCluster, type Cluster } from './cluster';
import { freeClusterPorts } from './free-ports';
import type { ExtraPerson } from './local-systems';
import { environment } from '../config/env';

export interface ChaosOptions {
  workers: number;
  expensatron: number;
  /** Every n-th Expensatron request is submitted twice at once with the same Idempotency-Key. */
  doubleSubmitEvery: number;
  deskPhones: number;
  subscribers: number;
  affected: number;
  /** Seconds between worker kills. */
  killEverySeconds: number;
  /** How many worker kills at most (null: until the load is done). */
  workerKills: number | null;
  apiKills: number;
  serverRestarts: number;
  /** Requests in flight from the load generator. */
  concurrency: number;
  log: (line: string) => void;
  /** Kept for reading the logs afterwards; a temp folder (removed) when omitted. */
  dataDir?: string;
}

/** A delay distribution in seconds; `baselineP50` is the undisturbed journeys' p50 it is measured against. */
export interface DelayFigures {
  journeys: number;
  p50: number;
  p99: number;
  max: number;
  /** Journeys hit by two or more worker kills. */
  hitTwice: number;
  baselineP50: number | null;
}

export interface ChaosReport {
  settings: Record<string, string | number>;
  journeys: { submitted: number; lost: number; notCompleted: number; details: string[] };
  kills: { workers: number; api: number; server: number };
  duplicates: {
    sms: number;
    /** Copies with a new Message-ID of an email already delivered, by kind: real resends. */
    emailsByKind: Record<string, number>;
    /** Copies with the same Message-ID: the ledger's in-doubt resends that had in fact arrived. */
    sameMessageIdEmails: number;
    /** What the ledger counted as in-doubt email resends (an upper bound of the line above). */
    inDoubtEmailResends: number;
    scimAccounts: number;
    workaroundSms: number;
  };
  subscribers: {
    total: number;
    notifiedTwice: number;
    notNotified: number;
    resolvedTwice: number;
    resolvedNotTold: number;
  };
  /**
   * Seconds the faults added to the journeys that were running when they happened, against an
   * undisturbed journey of the same service in the same run, one line per kind of fault.
   */
  killDelaySeconds: {
    /** Expensatron journeys a worker SIGKILL hit (and no server restart): the crash-recovery promise. */
    workerKills: DelayFigures;
    /** Expensatron journeys that were running while the Temporal server was down and came back. */
    serverRestart: DelayFigures;
    /** Desk phones (two person steps: their time includes the approver's and the technician's). */
    deskPhones: DelayFigures;
    /** The journeys that took longest, with the faults that hit them. */
    worst: string[];
  };
  elapsedSeconds: number;
}

/**
 * Numbers reserved for fiction, so a chaos run can never text a real person even if pointed at a
 * real provider: Ofcom's drama range (+44 7700 900000–900999, less the few Eagle5 uses), then the
 * North American 555-0100–0199 block in a few area codes. libphonenumber accepts both.
 */
const eagle5Suffixes = new Set(['000', '123', '456', '789', '321', '987']);
const northAmericanAreaCodes = ['202', '312', '617', '415', '503'];
function fictionalNumbers(): string[] {
  const numbers: string[] = [];
  for (let n = 0; n < 1000; n++) {
    const suffix = String(n).padStart(3, '0');
    if (!eagle5Suffixes.has(suffix)) numbers.push(`+447700900${suffix}`);
  }
  for (const area of northAmericanAreaCodes) {
    for (let n = 100; n < 200; n++) numbers.push(`+1${area}5550${n}`);
  }
  return numbers;
}
const chaosNumbers = fictionalNumbers();
export const maxChaosPeople = chaosNumbers.length;

function chaosPeople(count: number, affected: number): ExtraPerson[] {
  if (count > maxChaosPeople)
    throw new Error(`at most ${maxChaosPeople} synthetic people fit the fictional phone ranges (asked for ${count})`);
  const people: ExtraPerson[] = [];
  for (let i = 1; i <= count; i++) {
    const phone = chaosNumbers[i - 1]!;
    const name = `chaos${String(i).padStart(4, '0')}`;
    const os = i % 2 === 0 ? 'ios' : 'android';
    people.push({
      accountName: name,
      givenName: 'Chaos',
      familyName: `Tester ${i}`,
      email: `${name}@eagle5.example`,
      mobile: phone,
      enabled: true,
      groups: ['Sales'],
      prefersSms: i % 3 === 0,
      device: { phone, os, model: os === 'ios' ? 'iPhone 15' : 'Pixel 8' },
      subscribedTo: i <= affected ? ['crm'] : [],
    });
  }
  return people;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

class Api {
  constructor(
    private readonly base: string,
    private readonly key: string,
  ) {}

  /** Calls until the API answers something other than "unavailable"; 4xx other than 409/429 throw. */
  async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const deadline = Date.now() + 600_000;
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(`${this.base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${this.key}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...headers,
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(15_000),
        });
        const text = await res.text();
        if (res.status < 500 && res.status !== 429)
          return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
        if (Date.now() > deadline) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      await sleep(Math.min(2_000, 100 * attempt));
    }
  }
}

interface RequestView {
  outcome: string | null;
  running: boolean;
  waitingFor: { kind: string } | null;
}

async function pool<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

/** Runs the whole chaos scenario and returns what it counted. Throws only when the run itself breaks. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { log } = options;
  const started = Date.now();
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sj-chaos-'));
  // mkdtemp makes it 0700; PostgreSQL runs as its own user (we may be root) and must reach its folder inside.
  if (ownDir) chmodSync(dataDir, 0o755);
  const people = chaosPeople(Math.max(options.expensatron, options.deskPhones, options.affected), options.affected);
  const apiKey = `sjk_${randomBytes(24).toString('hex')}`;
  const ports = await freeClusterPorts(options.workers);
  let cluster: Cluster | null = null;
  let connection: Connection | null = null;
  try {
    cluster = await startCluster({
      config: {
        DATA_DIR: dataDir,
        CLUSTER_WORKERS: options.workers,
        CLUSTER_HISTORY_SHARDS: 16,
        CLUSTER_POSTGRES_PORT: ports.CLUSTER_POSTGRES_PORT,
        TEMPORAL_PORT: ports.TEMPORAL_PORT,
        TEMPORAL_UI_PORT: ports.TEMPORAL_UI_PORT,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: ports.HTTP_PORT,
        METRICS_PORT: ports.METRICS_PORT,
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_TASK_QUEUE: 'service-journeys',
      },
      env: {
        PATH: environment().PATH,
        HOME: environment().HOME,
        LOG_LEVEL: 'warn',
        API_KEYS: JSON.stringify([
          {
            name: 'chaos',
            hash: hashApiKey(apiKey),
            scopes: ['requests:write', 'requests:read', 'incidents:write', 'incidents:read'],
          },
        ]),
      },
      extraPeople: people,
      log,
    });
    const c = cluster;
    const local = c.local!;
    await c.apiReady(120_000);
    // Eagle5's own and the clickers are subscribed already; synthetic people make up the rest.
    const crm = local.servicenow.records('cmdb_ci_service').find((r) => r.u_service_id === 'crm')!;
    const subscribedAlready = local.servicenow
      .records('service_subscribe_sys_user')
      .filter((r) => r.service_offering === crm.sys_id).length;
    local.servicenow.addSyntheticSubscribers('crm', Math.max(0, options.subscribers - subscribedAlready), {
      prefix: 'crm-sub-',
    });
    const api = new Api(c.portalUrl, apiKey);
    connection = await Connection.connect({ address: c.temporalAddress });
    const client = new Client({ connection, namespace: 'default' });

    // --- the faults -------------------------------------------------------------------------
    // When each fault happened; a server restart lasts from its kill until the server answers again.
    const kills: { kind: 'worker' | 'api' | 'server'; from: number; to: number }[] = [];
    const killCount = { workers: 0, api: 0, server: 0 };
    let loadDone = false;
    const monkey = (async () => {
      const plan: ('api' | 'server')[] = [
        ...Array<'api'>(options.apiKills).fill('api'),
        ...Array<'server'>(options.serverRestarts).fill('server'),
      ];
      let round = 0;
      while (!loadDone && (options.workerKills === null || killCount.workers < options.workerKills)) {
        await sleep(options.killEverySeconds * 1000);
        if (loadDone) break;
        round++;
        const worker = c.workers[Math.floor(Math.random() * c.workers.length)]!;
        kills.push({ kind: 'worker', from: Date.now(), to: Date.now() });
        await worker.kill('SIGKILL');
        killCount.workers++;
        log(`  chaos: SIGKILL ${worker.name}`);
        await sleep(1_000);
        worker.start();
        // Every other round, one of the bigger faults.
        if (round % 2 === 0 && plan.length > 0) {
          const fault = plan.shift()!;
          const from = Date.now();
          if (fault === 'api') {
            await c.api.kill('SIGKILL');
            killCount.api++;
            log('  chaos: SIGKILL api');
            await sleep(1_000);
            c.api.start();
          } else {
            log('  chaos: SIGKILL the Temporal server, then start it again');
            await c.restartTemporal('kill');
            killCount.server++;
            log(`  chaos: the Temporal server is back after ${((Date.now() - from) / 1000).toFixed(1)} s`);
          }
          kills.push({ kind: fault, from, to: Date.now() });
        }
      }
      // Faults still planned when the load finished early: do them now, so every run has them.
      for (const fault of plan) {
        const from = Date.now();
        if (fault === 'api') {
          await c.api.kill('SIGKILL');
          killCount.api++;
          c.api.start();
        } else {
          await c.restartTemporal('kill');
          killCount.server++;
        }
        kills.push({ kind: fault, from, to: Date.now() });
      }
    })();

    // --- the load ---------------------------------------------------------------------------
    const ids = new Map<string, string>(); // person → request id
    const details: string[] = [];
    const expensatronPeople = people.slice(0, options.expensatron);
    const deskPhonePeople = people.slice(0, options.deskPhones);
    const submit = async (person: ExtraPerson, serviceId: string, fields: Record<string, unknown>): Promise<string> => {
      const res = await api.call<{ id: string }>(
        'POST',
        '/api/v1/requests',
        { serviceId, requester: person.accountName, fields },
        { 'idempotency-key': `chaos-${serviceId}-${person.accountName}` },
      );
      if (res.status !== 201 && res.status !== 200)
        throw new Error(`submit ${serviceId} for ${person.accountName}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id;
    };
    const waitFor = async (
      id: string,
      ok: (r: RequestView) => boolean,
      what: string,
      timeoutMs = 300_000,
    ): Promise<RequestView | null> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await api.call<RequestView>('GET', `/api/v1/requests/${encodeURIComponent(id)}`);
        if (res.status === 200 && ok(res.body)) return res.body;
        if (Date.now() > deadline) {
          details.push(`${id}: never reached ${what} (last: ${JSON.stringify(res.body).slice(0, 200)})`);
          return null;
        }
        // A status read is a workflow query, answered by a worker: poll as a considerate client.
        await sleep(1_000);
      }
    };
    const expensatronLoad = pool(
      expensatronPeople.map((p, i) => ({ p, i })),
      options.concurrency,
      async ({ p, i }) => {
        const fields = { phone: p.device!.phone, os: p.device!.os };
        const twice = options.doubleSubmitEvery > 0 && i % options.doubleSubmitEvery === 0;
        const [id, again] = await Promise.all([
          submit(p, 'expensatron', fields),
          twice ? submit(p, 'expensatron', fields) : Promise.resolve(null),
        ]);
        if (again !== null && again !== id)
          details.push(`${p.accountName}: a double submit started two journeys (${id}, ${again})`);
        ids.set(`expensatron/${p.accountName}`, id);
        // Closed loop: a client keeps `concurrency` journeys in flight, not a backlog the cluster
        // could never clear in time (that would measure overload, not faults).
        await waitFor(id, (r) => !r.running && r.outcome !== null, 'its end', 600_000);
        finished++;
      },
    );
    const deskPhoneLoad = pool(deskPhonePeople, Math.max(1, Math.floor(options.concurrency / 4)), async (p) => {
      const id = await submit(p, 'desk-phone', { deskLocation: `Building 3, desk ${p.accountName}`, manager: 'mia' });
      ids.set(`desk-phone/${p.accountName}`, id);
      if (!(await waitFor(id, (r) => r.waitingFor?.kind === 'approval', 'the approval'))) return;
      const decided = await api.call('POST', `/api/v1/requests/${encodeURIComponent(id)}/decision`, {
        approver: 'mia',
        approve: true,
      });
      // The same decision retried after a lost answer (a killed API) gets the first one's outcome.
      if (decided.status !== 200) details.push(`${id}: approval answered ${decided.status}`);
      if (!(await waitFor(id, (r) => r.waitingFor?.kind === 'manual-task', 'the delivery task'))) return;
      const delivered = await api.call('POST', `/api/v1/requests/${encodeURIComponent(id)}/delivery`, {
        by: 'ivy',
        note: 'On the desk and connected',
      });
      if (delivered.status !== 200) details.push(`${id}: delivery answered ${delivered.status}`);
    });

    let incidentCounts = 'no counts yet';
    let finished = 0;
    const title = `CRM unavailable (chaos ${randomBytes(3).toString('hex')})`;
    const resolutionNote = 'The CRM web server was restarted.';
    const incidentLoad = (async () => {
      const declared = await api.call<{ id: string }>(
        'POST',
        '/api/v1/incidents',
        {
          serviceId: 'crm',
          title,
          message: 'The CRM web app does not open.',
          workaround: {
            text: 'Use the mobile CRM app.',
            links: { android: 'https://play.example/crm', ios: 'https://apps.example/crm' },
          },
          declaredBy: 'ivy',
        },
        { 'idempotency-key': 'chaos-incident' },
      );
      if (declared.status !== 201 && declared.status !== 200)
        throw new Error(`declare: ${declared.status} ${JSON.stringify(declared.body)}`);
      const id = declared.body.id;
      const clickers = people.slice(0, options.affected);
      await pool(clickers, options.concurrency, async (p) => {
        const res = await api.call('POST', `/api/v1/incidents/${encodeURIComponent(id)}/affected`, {
          accountName: p.accountName,
          workaroundSms: p.accountName.endsWith('0'),
        });
        if (res.status !== 200) details.push(`affected ${p.accountName}: ${res.status} ${JSON.stringify(res.body)}`);
      });
      const incident = async () =>
        (
          await api.call<{ counts: { subscribers: number | null; notified: number | null; affected: number } }>(
            'GET',
            `/api/v1/incidents/${encodeURIComponent(id)}`,
          )
        ).body;
      const deadline = Date.now() + 180_000 + options.subscribers * 20;
      for (;;) {
        const i = await incident();
        incidentCounts = JSON.stringify(i.counts);
        if (
          i.counts.affected === clickers.length &&
          i.counts.notified !== null &&
          i.counts.notified === i.counts.subscribers
        )
          break;
        if (Date.now() > deadline)
          throw new Error(`the incident never counted everyone: ${JSON.stringify(i.counts)}; ${details.join('; ')}`);
        await sleep(1_000);
      }
      const resolved = await api.call('POST', `/api/v1/incidents/${encodeURIComponent(id)}/resolve`, {
        note: resolutionNote,
        by: 'ivy',
      });
      if (resolved.status !== 200) throw new Error(`resolve: ${resolved.status} ${JSON.stringify(resolved.body)}`);
      await pool(clickers, options.concurrency, async (p) => {
        for (;;) {
          const res = await api.call<{ detail?: string }>(
            'POST',
            `/api/v1/incidents/${encodeURIComponent(id)}/confirmations`,
            { accountName: p.accountName, answer: 'fixed', score: 9 },
          );
          if (res.status === 200) return;
          // 409 "not resolved" until the resolution reached the incident's state.
          if (res.status !== 409) {
            details.push(`confirm ${p.accountName}: ${res.status} ${JSON.stringify(res.body)}`);
            return;
          }
          await sleep(500);
        }
      });
      return id;
    })();

    const progress = setInterval(() => {
      log(
        `  … ${((Date.now() - started) / 1000).toFixed(0)} s: ${ids.size} requests submitted, ${finished} Expensatron finished, ${killCount.workers} worker kills, ${local.smtp.messages.length} emails and ${local.twilio.messages.length} SMS received; incident ${incidentCounts}`,
      );
    }, 15_000);
    const [, , incidentId] = await Promise.all([expensatronLoad, deskPhoneLoad, incidentLoad]).finally(() =>
      clearInterval(progress),
    );
    loadDone = true;
    await monkey;
    log(`  load done after ${((Date.now() - started) / 1000).toFixed(0)} s; waiting for every journey to finish…`);

    // --- the count --------------------------------------------------------------------------
    let lost = 0;
    let notCompleted = 0;
    const durations: { what: string; id: string; ms: number; start: number; end: number }[] = [];
    for (const [what, id] of ids) {
      const done = await waitFor(id, (r) => !r.running && r.outcome !== null, 'its end', 180_000);
      try {
        const d = await client.workflow.getHandle(id).describe();
        if (d.closeTime && d.startTime)
          durations.push({
            what,
            id,
            ms: d.closeTime.getTime() - d.startTime.getTime(),
            start: d.startTime.getTime(),
            end: d.closeTime.getTime(),
          });
      } catch {
        lost++;
        details.push(`${what}: ${id} is not on the Temporal server`);
        continue;
      }
      if (!done || done.outcome !== 'completed') {
        notCompleted++;
        details.push(`${what}: ${id} ended ${done?.outcome ?? 'never'}`);
      }
    }

    // Incident: wait until every affected person's confirmation reached the incident, then count.
    await sleep(2_000);
    const count = <T>(items: T[], key: (t: T) => string): Map<string, number> => {
      const m = new Map<string, number>();
      for (const t of items) m.set(key(t), (m.get(key(t)) ?? 0) + 1);
      return m;
    };
    // One logical SMS per (number, text), except the incident's broadcasts: synthetic subscribers
    // share the drama range's numbers, so a number gets one broadcast per SMS subscriber on it.
    const service = local.servicenow.records('cmdb_ci_service').find((r) => r.u_service_id === 'crm')!;
    const subscriberIds = new Set(
      local.servicenow
        .records('service_subscribe_sys_user')
        .filter((r) => r.service_offering === service.sys_id)
        .map((r) => r.sys_user),
    );
    const subscribers = local.servicenow.records('sys_user').filter((u) => subscriberIds.has(u.sys_id));
    const smsSubscribersOn = count(
      subscribers.filter((u) => u.u_prefers_sms === 'true' && u.active !== 'false'),
      (u) => u.mobile_phone ?? '',
    );
    const isBroadcast = (body: string) => body.includes(title) || body.includes(`is working again. ${resolutionNote}`);
    let duplicateSms = 0;
    let workaroundDuplicates = 0;
    for (const [key, n] of count(local.twilio.messages, (m) => `${m.to}\u0000${m.body}`)) {
      const [to = '', body = ''] = key.split('\u0000');
      const extra = n - (isBroadcast(body) ? Math.max(1, smsSubscribersOn.get(to) ?? 0) : 1);
      if (extra > 0) {
        duplicateSms += extra;
        if (body.includes('download:')) workaroundDuplicates += extra;
      }
    }
    // Emails: one logical message per (recipient, subject, text). A copy with the same Message-ID
    // is an in-doubt resend (a worker died between the SMTP server's acceptance and the ledger's
    // record, and SMTP cannot be asked); a copy with another Message-ID would be a real resend.
    const perRecipient = local.smtp.messages.flatMap((m) => m.envelope.to.map((to) => ({ to: to.toLowerCase(), m })));
    const kindOf = (subject: string) =>
      subject
        .replace(/\(chaos [0-9a-f]+\)/, '')
        .replace(/[A-Z]+-[0-9A-Z-]+/g, '…')
        .replace(/\d+/g, '#')
        .trim();
    const emailsByKind: Record<string, number> = {};
    let sameMessageIdCopies = 0;
    const byContent = new Map<string, Set<string>>();
    const contentCopies = count(perRecipient, ({ to, m }) => {
      const key = `${to}\u0000${m.subject ?? ''}\u0000${createHash('sha256')
        .update(m.text ?? '')
        .digest('hex')}`;
      const ids = byContent.get(key) ?? new Set<string>();
      ids.add(m.messageId ?? `missing-${Math.random()}`);
      byContent.set(key, ids);
      return key;
    });
    for (const [key, n] of contentCopies) {
      if (n < 2) continue;
      const distinct = byContent.get(key)!.size;
      sameMessageIdCopies += n - distinct;
      if (distinct > 1) {
        const kind = kindOf(key.split('\u0000')[1] ?? '');
        emailsByKind[kind] = (emailsByKind[kind] ?? 0) + distinct - 1;
      }
    }
    const inDoubt = await readInDoubtResends(c.journeysDatabaseUrl, { keyPrefix: 'email:' });
    const inDoubtEmailResends = [...inDoubt.values()].reduce((a, n) => a + n, 0);
    const scimUsers = Object.values(local.scim).flatMap((s) => s.users());
    const scimDuplicates = [...count(scimUsers, (u) => u.userName.toLowerCase()).values()]
      .filter((n) => n > 1)
      .reduce((a, n) => a + n - 1, 0);

    // Every subscriber of crm: exactly one announcement and one "fixed" email.
    // Distinct Message-IDs per recipient: a same-ID copy is counted above, not as a second notice.
    const distinctPerRecipient = (messages: typeof local.smtp.messages) =>
      count(
        [
          ...new Set(
            messages.map((m) => `${(m.envelope.to[0] ?? '').toLowerCase()}\u0000${m.messageId ?? Math.random()}`),
          ),
        ],
        (k) => k.split('\u0000')[0] ?? '',
      );
    const announcedTo = distinctPerRecipient(
      local.smtp.messages.filter(
        (m) => (m.subject ?? '').endsWith(`: ${title}`) && !/^(Fixed|Update|Re-opened):/.test(m.subject ?? ''),
      ),
    );
    // Subscribers get "Fixed: <service>: <title>"; the affected ones "Fixed: <service>: is it working for you?" instead.
    const fixedTo = distinctPerRecipient(
      local.smtp.messages.filter(
        (m) =>
          /^Fixed: /.test(m.subject ?? '') &&
          ((m.subject ?? '').endsWith(title) || (m.subject ?? '').endsWith('is it working for you?')),
      ),
    );
    let notifiedTwice = 0;
    let notNotified = 0;
    let resolvedTwice = 0;
    let resolvedNotTold = 0;
    for (const u of subscribers) {
      const email = (u.email ?? '').toLowerCase();
      const a = announcedTo.get(email) ?? 0;
      const f = fixedTo.get(email) ?? 0;
      if (a === 0) notNotified++;
      if (a > 1) notifiedTwice++;
      if (f === 0) resolvedNotTold++;
      if (f > 1) resolvedTwice++;
    }
    void incidentId;

    // Kill delay: the journeys that were running when a fault happened, against the undisturbed
    // journeys of the same service (a desk phone waits for two people, an Expensatron for no one,
    // so one's undisturbed time is no baseline for the other's).
    const faultsOf = (d: (typeof durations)[number]) => {
      const overlapping = kills.filter((k) => k.to >= d.start && k.from <= d.end);
      return {
        workers: overlapping.filter((k) => k.kind === 'worker').length,
        server: overlapping.some((k) => k.kind === 'server'),
        api: overlapping.some((k) => k.kind === 'api'),
      };
    };
    const delayFigures = (service: string, pick: (f: ReturnType<typeof faultsOf>) => boolean): DelayFigures => {
      const mine = durations.filter((d) => d.what.startsWith(`${service}/`));
      const calm = mine
        .filter((d) => {
          const f = faultsOf(d);
          return f.workers === 0 && !f.server && !f.api;
        })
        .map((d) => d.ms)
        .sort((a, b) => a - b);
      const baseline = calm.length >= 5 ? percentile(calm, 50) : null;
      const hit = mine.filter((d) => pick(faultsOf(d)));
      const delays = baseline === null ? [] : hit.map((d) => Math.max(0, d.ms - baseline) / 1000).sort((a, b) => a - b);
      return {
        journeys: hit.length,
        p50: delays.length > 0 ? percentile(delays, 50) : 0,
        p99: delays.length > 0 ? percentile(delays, 99) : 0,
        max: delays.length > 0 ? delays[delays.length - 1]! : 0,
        hitTwice: hit.filter((d) => faultsOf(d).workers >= 2).length,
        baselineP50: baseline === null ? null : baseline / 1000,
      };
    };
    const worst = await Promise.all(
      [...durations]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5)
        .map(async (d) => {
          const f = faultsOf(d);
          const faults = [
            `${f.workers} worker kill${f.workers === 1 ? '' : 's'}`,
            ...(f.server ? ['the server restart'] : []),
            ...(f.api ? ['an API kill'] : []),
          ];
          const gaps = await longestGaps(client, d.id).catch(() => 'history unavailable');
          return `${d.what} ${(d.ms / 1000).toFixed(1)} s (${faults.join(', ')}; longest waits: ${gaps})`;
        }),
    );

    return {
      settings: {
        workers: options.workers,
        'Expensatron journeys': options.expensatron,
        'double submits':
          options.doubleSubmitEvery > 0 ? Math.ceil(options.expensatron / options.doubleSubmitEvery) : 0,
        'desk phones': options.deskPhones,
        subscribers: subscribers.length,
        'affected clicks': options.affected,
        'worker kill every (s)': options.killEverySeconds,
        'history shards': 16,
      },
      journeys: { submitted: ids.size, lost, notCompleted, details },
      kills: killCount,
      duplicates: {
        sms: duplicateSms,
        emailsByKind,
        sameMessageIdEmails: sameMessageIdCopies,
        inDoubtEmailResends,
        scimAccounts: scimDuplicates,
        workaroundSms: workaroundDuplicates,
      },
      subscribers: { total: subscribers.length, notifiedTwice, notNotified, resolvedTwice, resolvedNotTold },
      killDelaySeconds: {
        workerKills: delayFigures('expensatron', (f) => f.workers > 0 && !f.server),
        serverRestart: delayFigures('expensatron', (f) => f.server),
        deskPhones: delayFigures('desk-phone', (f) => f.workers > 0 || f.server || f.api),
        worst,
      },
      elapsedSeconds: (Date.now() - started) / 1000,
    };
  } finally {
    await connection?.close().catch(() => undefined);
    await cluster?.stop();
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Where a journey's time went: its three longest waits between one history event and the next,
 * e.g. "ActivityTaskScheduled→ActivityTaskStarted 6.1 s" (waiting for a worker to take the
 * activity) or "WorkflowTaskScheduled→WorkflowTaskStarted" (a workflow task waiting for a worker).
 */
async function longestGaps(client: Client, workflowId: string): Promise<string> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const at = (e: (typeof events)[number]) =>
    Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
  const name = (e: (typeof events)[number]) =>
    (proto.temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
  const gaps = events.slice(1).map((e, i) => ({ ms: at(e) - at(events[i]!), from: events[i]!, to: e }));
  return gaps
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 3)
    .map((g) => `${camel(name(g.from))}→${camel(name(g.to))} ${(g.ms / 1000).toFixed(1)} s`)
    .join(', ');
}

const camel = (upper: string) =>
  upper
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

function delayLine(label: string, f: DelayFigures): string {
  if (f.journeys === 0) return `${label}: no journey hit`;
  if (f.baselineP50 === null) return `${label}: ${f.journeys} journeys hit, too few undisturbed ones to compare with`;
  return `${label}, ${f.journeys} journeys hit (${f.hitTwice} by two or more kills): p50 ${f.p50.toFixed(1)}, p99 ${f.p99.toFixed(1)}, max ${f.max.toFixed(1)} (over an undisturbed journey's p50 of ${f.baselineP50.toFixed(2)} s)`;
}

/** The report as the lines `npm run chaos` prints. */
export function formatChaosReport(r: ChaosReport): string[] {
  const emailDuplicates = Object.values(r.duplicates.emailsByKind).reduce((a, n) => a + n, 0);
  const lines = [
    `settings: ${Object.entries(r.settings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `faults: ${r.kills.workers} worker SIGKILLs, ${r.kills.api} API SIGKILLs, ${r.kills.server} Temporal server SIGKILL + restart`,
    `journeys submitted        ${r.journeys.submitted}`,
    `journeys lost             ${r.journeys.lost}`,
    `journeys not completed    ${r.journeys.notCompleted}`,
    `duplicate SMS             ${r.duplicates.sms} (workaround SMS among them: ${r.duplicates.workaroundSms})`,
    `duplicate emails (new Message-ID) ${emailDuplicates}${
      emailDuplicates > 0
        ? ` — ${Object.entries(r.duplicates.emailsByKind)
            .map(([k, n]) => `${k}: ${n}`)
            .join('; ')}`
        : ''
    }`,
    `same email twice (one Message-ID, in-doubt resends) ${r.duplicates.sameMessageIdEmails} of ${r.duplicates.inDoubtEmailResends} in-doubt resends the ledger counted`,
    `duplicate SCIM accounts   ${r.duplicates.scimAccounts}`,
    `subscribers (of ${r.subscribers.total}) announced twice ${r.subscribers.notifiedTwice}, not announced ${r.subscribers.notNotified}, told "fixed" twice ${r.subscribers.resolvedTwice}, not told ${r.subscribers.resolvedNotTold}`,
    delayLine('kill delay (s), Expensatron, worker kills', r.killDelaySeconds.workerKills),
    delayLine('delay (s), Expensatron, Temporal server restart', r.killDelaySeconds.serverRestart),
    delayLine('delay (s), desk phones, any fault', r.killDelaySeconds.deskPhones),
    'longest journeys:',
    ...r.killDelaySeconds.worst.map((w) => `  ${w}`),
    `elapsed ${r.elapsedSeconds.toFixed(0)} s`,
  ];
  for (const d of r.journeys.details.slice(0, 20)) lines.push(`  ! ${d}`);
  return lines;
}
