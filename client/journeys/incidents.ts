/**
 * The incident side of {@link Journeys}: declare (start `incidentWorkflow` by type name), read
 * the status query, send IT's updates to the incident and each person's clicks to *their* shard
 * (workflows/incident/definitions.ts `shardWorkflowIdForUser`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import { verifyLinkToken } from '../../activities/links';
import type { BusinessService, Cmdb } from '../../integrations/cmdb/types';
import {
  affectedUpdate,
  confirmUpdate,
  followUpListQuery,
  incidentInputProblems,
  incidentStartOptions,
  incidentStatusQuery,
  incidentIdPattern,
  incidentWorkflowId,
  incidentWorkflowType,
  newIncidentId,
  npsUpdate,
  progressUpdate,
  resolveUpdate,
  shardWorkflowIdForUser,
  incidentShardWorkflowId,
  personQuery,
  type IncidentInput,
  type IncidentStatus,
  type IncidentWorkaround,
  type PersonState,
  type WorkaroundSmsInput,
  type WorkaroundSmsOutcome,
  incidentWorkaroundSmsWorkflowType,
  workaroundSmsStartOptions,
} from '../../workflows/incident/definitions';
import { badRequest, bodyIssue, conflict, HttpError, idempotencyKeyReused, toHttpError } from '../errors';
import { listExecutions, orAfter, quote, TtlCache, withDeadline } from './temporal-reads';
import type { IncidentView } from './views';
import { fingerprint, type JourneyTimeouts } from './common';

/** How a "This affects me" click went (and the workaround SMS, when asked for). */
export type MarkAffectedResult =
  | { status: 'recorded'; incident: IncidentView; alreadyRecorded: boolean; sms: WorkaroundSmsOutcome | null }
  /** Resolved (or following up): people answer with the confirmation link instead. */
  | { status: 'resolved'; incident: IncidentView }
  | { status: 'closed'; incident: IncidentView | null }
  | { status: 'shard-full'; incident: IncidentView }
  | { status: 'not-found' };

/** How a "fixed" / "still broken" answer went. */
export type ConfirmOutcome =
  | { status: 'recorded' }
  | { status: 'not-affected' }
  | { status: 'not-resolved' }
  | { status: 'closed' }
  | { status: 'not-found' };
/** How an NPS answer given after the confirmation went. */
export type NpsOutcome =
  { status: 'recorded' } | { status: 'not-confirmed' } | { status: 'closed' } | { status: 'not-found' };
/** A confirmation link's token, checked: whose it is, or why it is refused. */
export type LinkCheck = { ok: true; accountName: string } | { ok: false; reason: 'expired' | 'invalid' };

/** What IT (or a monitoring tool) says when declaring an incident. */
export interface DeclareInput {
  serviceId: string;
  title: string;
  message: string;
  workaround: IncidentWorkaround | null;
  declaredBy: string;
  /** Same key → same incident (idempotent declaration); null → a new incident. */
  incidentKey: string | null;
}

/** What the incident side of the gateway is built over. */
export interface IncidentJourneysDeps {
  client: Client;
  taskQueue: string;
  cmdb: Cmdb;
  linkSecret: string;
  timeouts: JourneyTimeouts;
  log: FastifyBaseLogger;
  /** Defaults for new incidents (tests use seconds instead of hours). */
  incidentDefaults?: Pick<IncidentInput, 'timings' | 'scale' | 'reopen' | 'retryInitialIntervalMs'>;
  /** Webhook subscriptions new incidents tell (workflows/shared/events.ts). */
  events?: IncidentInput['events'];
}

function toView(s: IncidentStatus, running: boolean, followUp: IncidentView['followUp'] = []): IncidentView {
  const currentPhase = s.phases.find((p) => p.phase === s.phase) ?? s.phases.at(-1) ?? null;
  const declaredPass =
    [...s.notifications].reverse().find((n) => n.kind === 'declared') ??
    (s.notifying?.kind === 'declared' ? s.notifying : null);
  return {
    id: s.incidentId,
    workflowId: s.workflowId,
    serviceId: s.serviceId,
    serviceName: s.serviceName,
    title: s.title,
    message: s.message,
    workaround: s.workaround?.text ?? null,
    workaroundHasLinks: Object.values(s.workaround?.links ?? {}).some(Boolean),
    status: s.status,
    phase: s.phase,
    declaredAt: s.declaredAt,
    declaredBy: s.declaredBy,
    updates: s.notes.map((n) => ({ at: n.at, text: n.text })),
    resolvedAt: currentPhase?.resolvedAt ?? null,
    resolutionNote: currentPhase?.resolutionNote ?? null,
    counts: {
      subscribers: s.subscribers,
      notified:
        s.notifying?.kind === 'declared' ? s.notifying.counts.subscribers : (declaredPass?.counts.subscribers ?? null),
      affected: s.counts.affected,
      fixed: s.counts.confirmedFixed,
      stillBroken: s.counts.stillBroken,
      noAnswer: s.status === 'open' ? null : s.counts.noAnswer,
      followedUp: s.counts.followedUp,
    },
    nps: { responses: s.npsView.responses, average: s.npsView.average, score: s.npsView.score },
    followUp,
    closeReason: s.closeReason,
    running: running && s.status !== 'closed',
  };
}

/**
 * The incident operations of {@link Journeys}. Reads have short deadlines and degrade (banners
 * come from a 2-second cache); updates wait up to `updateMs`. Declaring is idempotent per key;
 * clicks are idempotent in the shards themselves.
 */
export function createIncidentJourneys(deps: IncidentJourneysDeps) {
  const { client, timeouts, log } = deps;
  const shardCounts = new Map<string, number>();
  const openCache = new TtlCache<{ incidents: IncidentView[]; complete: boolean }>(timeouts.bannerCacheMs);
  const subscriptionCache = new TtlCache<BusinessService[]>(30_000);
  const serviceCache = new TtlCache<BusinessService | null>(60_000);

  const handle = (id: string) => client.workflow.getHandle(incidentWorkflowId(id));

  /** The status query with a deadline; null when there is no such incident. */
  async function status(
    id: string,
    ms = timeouts.detailMs,
  ): Promise<{ status: IncidentStatus; running: boolean } | null> {
    // No incident has another id: a malformed one never reaches Temporal.
    if (!incidentIdPattern.test(id)) return null;
    try {
      const h = handle(id);
      const [s, description] = await Promise.all([
        withDeadline(client, ms, () => h.query(incidentStatusQuery)),
        withDeadline(client, ms, () => h.describe()),
      ]);
      shardCounts.set(id, s.shardCount);
      return { status: s, running: description.status.name === 'RUNNING' };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw toHttpError(err);
    }
  }

  async function shardCount(id: string): Promise<number | null> {
    const known = shardCounts.get(id);
    if (known !== undefined) return known;
    const s = await status(id);
    return s?.status.shardCount ?? null;
  }

  async function followUpOf(s: IncidentStatus): Promise<IncidentView['followUp']> {
    if (s.status === 'open' || s.counts.followedUp === 0) return [];
    const rows = await Promise.all(
      Array.from({ length: s.shardCount }, (_, shard) =>
        withDeadline(client, timeouts.detailMs, () =>
          client.workflow
            .getHandle(incidentShardWorkflowId(s.incidentId, shard))
            .query(followUpListQuery, { phase: s.phase, offset: 0, limit: 100 }),
        ).catch(() => ({ total: 0, rows: [] })),
      ),
    );
    return rows
      .flatMap((r) => r.rows)
      .map((r) => ({
        accountName: r.accountName,
        reason: r.reason === 'still-broken' ? 'said it is still broken' : 'did not answer',
      }))
      .sort((a, b) => a.accountName.localeCompare(b.accountName))
      .slice(0, 500);
  }

  async function incident(id: string, withFollowUp = true): Promise<IncidentView | null> {
    const s = await status(id);
    if (!s) return null;
    return toView(s.status, s.running, withFollowUp ? await followUpOf(s.status) : []);
  }

  async function openIncidents(serviceIds: string[] | null): Promise<{ incidents: IncidentView[]; complete: boolean }> {
    if (serviceIds !== null && serviceIds.length === 0) return { incidents: [], complete: true };
    const key = serviceIds === null ? '*' : [...serviceIds].sort().join(',');
    return openCache.get(key, async () => {
      const services = serviceIds === null ? '' : ` AND ServiceId IN (${serviceIds.map(quote).join(', ')})`;
      let infos;
      try {
        infos = await listExecutions(
          client,
          `WorkflowType = ${quote(incidentWorkflowType)} AND ExecutionStatus = "Running"${services}`,
          50,
          timeouts.listMs,
        );
      } catch (err) {
        log.warn({ err: { message: (err as Error).message } }, 'open incidents: visibility list failed');
        return { incidents: [], complete: false };
      }
      let complete = true;
      const views = await Promise.all(
        infos.map(async (info) => {
          try {
            const s = await withDeadline(client, timeouts.queryMs, () =>
              client.workflow.getHandle(info.workflowId).query(incidentStatusQuery),
            );
            shardCounts.set(s.incidentId, s.shardCount);
            return toView(s, true);
          } catch {
            complete = false;
            return null;
          }
        }),
      );
      return { incidents: views.filter((v): v is IncidentView => v !== null && v.status !== 'closed'), complete };
    });
  }

  async function bannersFor(accountName: string): Promise<{ incidents: IncidentView[]; complete: boolean }> {
    const subs = await orAfter(
      timeouts.queryMs,
      subscriptionCache.get(accountName, () => deps.cmdb.subscriptionsOf(accountName)),
      [] as BusinessService[],
    );
    const open = await openIncidents(subs.value.map((s) => s.id));
    // The CMDB's name for the service, which the incident may not have read yet.
    const names = new Map(subs.value.map((s) => [s.id, s.name]));
    const incidents = open.incidents.map((i) => ({ ...i, serviceName: names.get(i.serviceId) ?? i.serviceName }));
    return { incidents, complete: open.complete && !subs.timedOut };
  }

  async function cmdbService(id: string): Promise<BusinessService | null> {
    try {
      return await serviceCache.get(id, () => deps.cmdb.getService(id));
    } catch (err) {
      throw toHttpError(err);
    }
  }

  async function declareIncident(input: DeclareInput): Promise<{ id: string; created: boolean }> {
    const suffix = input.incidentKey
      ? createHash('sha256').update(input.incidentKey).digest('hex').slice(0, 12)
      : randomBytes(4).toString('hex');
    const incidentId = input.incidentKey
      ? `${input.serviceId}-${suffix}`.slice(0, 80)
      : newIncidentId(input.serviceId, new Date(), suffix);
    const workflowInput: IncidentInput = {
      ...deps.incidentDefaults,
      ...(deps.events ? { events: deps.events } : {}),
      incidentId,
      serviceId: input.serviceId,
      title: input.title,
      message: input.message,
      workaround: input.workaround,
      declaredBy: input.declaredBy,
    };
    const problems = incidentInputProblems(workflowInput);
    if (problems.length > 0) {
      throw badRequest(
        `The incident is not valid: ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
        problems.map((p) => bodyIssue(p.split(':')[0] ?? '', p.slice(p.indexOf(':') + 1).trim())),
      );
    }
    const inputPrint = fingerprint({
      s: input.serviceId,
      t: input.title,
      m: input.message,
      w: input.workaround,
      d: input.declaredBy,
    });
    try {
      await withDeadline(client, timeouts.startMs, () =>
        client.workflow.start(incidentWorkflowType, {
          ...incidentStartOptions(workflowInput, deps.taskQueue),
          memo: { inputFingerprint: inputPrint },
        }),
      );
      openCache.invalidate();
      return { id: incidentId, created: true };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw toHttpError(err);
      const existing = await withDeadline(client, timeouts.detailMs, () => handle(incidentId).describe()).catch(
        () => null,
      );
      if (existing?.memo?.inputFingerprint === inputPrint) return { id: incidentId, created: false };
      throw idempotencyKeyReused(
        'This Idempotency-Key was already used to declare a different incident: send the first declaration’s body again, or use a new key',
      );
    }
  }

  async function update<R>(run: () => Promise<R>): Promise<R | 'not-found'> {
    try {
      return await withDeadline(client, timeouts.updateMs, run);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'not-found';
      throw toHttpError(err);
    }
  }

  /**
   * An update to one of the incident's shards. A shard that is not there while its incident runs
   * is still being started (the clicks can come right after the announcement) or is continuing as
   * new: wait a moment for it rather than answer "closed", then say to try again.
   */
  async function shardUpdate<R>(id: string, run: () => Promise<R>): Promise<R | 'not-found'> {
    const deadline = Date.now() + timeouts.updateMs;
    for (;;) {
      const r = await update(run);
      if (r !== 'not-found') return r;
      const current = await incident(id, false);
      if (!current?.running) return 'not-found';
      if (Date.now() > deadline)
        throw new HttpError('unavailable', 'The incident is still starting; try again in a moment');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async function postProgress(id: string, input: { text: string; notifyAffected: boolean; by: string }): Promise<void> {
    if (!incidentIdPattern.test(id)) throw new HttpError('not-found', `No incident ${id}`);
    const r = await update(() => handle(id).executeUpdate(progressUpdate, { args: [input] }));
    if (r === 'not-found') throw new HttpError('not-found', `No incident ${id}`);
    if (r.status === 'closed') throw conflict(`Incident ${id} is closed`);
    openCache.invalidate();
  }

  async function resolveIncident(id: string, input: { note: string; by: string }): Promise<void> {
    if (!incidentIdPattern.test(id)) throw new HttpError('not-found', `No incident ${id}`);
    const r = await update(() => handle(id).executeUpdate(resolveUpdate, { args: [input] }));
    if (r === 'not-found') throw new HttpError('not-found', `No incident ${id}`);
    if (r.status === 'not-open') throw conflict(`Incident ${id} is already ${r.incidentStatus}`);
    openCache.invalidate();
  }

  /** The handle of the shard holding this person, or null when the incident does not exist. */
  async function shardOfUser(id: string, accountName: string) {
    const count = await shardCount(id);
    if (count === null) return null;
    return client.workflow.getHandle(shardWorkflowIdForUser(id, accountName, count));
  }

  async function markAffected(
    id: string,
    input: { accountName: string; workaroundSms: boolean },
  ): Promise<MarkAffectedResult> {
    const current = await incident(id, false);
    if (!current) return { status: 'not-found' };
    const shard = await shardOfUser(id, input.accountName);
    if (!shard) return { status: 'not-found' };
    const r = await shardUpdate(id, () =>
      shard.executeUpdate(affectedUpdate, { args: [{ accountName: input.accountName }] }),
    );
    if (r === 'not-found' || r.status === 'closed') return { status: 'closed', incident: current };
    if (r.status === 'not-open') return { status: 'resolved', incident: current };
    if (r.status === 'shard-full') return { status: 'shard-full', incident: current };
    openCache.invalidate();
    const sms = input.workaroundSms ? await textWorkaround(id, input.accountName) : null;
    return { status: 'recorded', incident: current, alreadyRecorded: r.status === 'already-recorded', sms };
  }

  /** The workaround SMS runs as its own small workflow (repeat-safe), so the shard's handlers stay synchronous. */
  async function textWorkaround(id: string, accountName: string): Promise<WorkaroundSmsOutcome | null> {
    const s = await status(id);
    if (!s) return null;
    const { incidentId, serviceId, serviceName, title, message, workaround } = s.status;
    try {
      return await withDeadline(client, timeouts.updateMs, () =>
        client.workflow.execute<(input: WorkaroundSmsInput) => Promise<WorkaroundSmsOutcome>>(
          incidentWorkaroundSmsWorkflowType,
          workaroundSmsStartOptions(
            { incidentId, serviceId, serviceName, title, message, workaround },
            accountName,
            deps.taskQueue,
          ),
        ),
      );
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'workaround SMS: no answer in time');
      return { status: 'failed', message: 'the text message could not be sent just now' };
    }
  }

  async function person(id: string, accountName: string): Promise<PersonState | null> {
    const count = shardCounts.get(id);
    if (count === undefined) return null;
    try {
      return await withDeadline(client, timeouts.queryMs, () =>
        client.workflow.getHandle(shardWorkflowIdForUser(id, accountName, count)).query(personQuery, accountName),
      );
    } catch {
      return null;
    }
  }

  /** "Fixed" / "still broken", with the NPS score when it comes with "fixed" (one update: the answer may close the incident). */
  async function confirm(
    id: string,
    input: { accountName: string; answer: 'fixed' | 'still-broken'; score?: number; comment?: string },
  ): Promise<ConfirmOutcome> {
    const shard = await shardOfUser(id, input.accountName);
    if (!shard) return { status: 'not-found' };
    const r = await shardUpdate(id, () => shard.executeUpdate(confirmUpdate, { args: [input] }));
    if (r === 'not-found' || r.status === 'closed') return { status: 'closed' };
    if (r.status === 'not-affected') return { status: 'not-affected' };
    if (r.status === 'not-resolved') return { status: 'not-resolved' };
    return { status: 'recorded' };
  }

  async function recordNps(
    id: string,
    input: { accountName: string; score: number; comment: string | null },
  ): Promise<NpsOutcome> {
    const shard = await shardOfUser(id, input.accountName);
    if (!shard) return { status: 'not-found' };
    const r = await shardUpdate(id, () =>
      shard.executeUpdate(npsUpdate, {
        args: [{ accountName: input.accountName, score: input.score, comment: input.comment }],
      }),
    );
    if (r === 'not-found' || r.status === 'closed') return { status: 'closed' };
    if (r.status === 'not-confirmed') return { status: 'not-confirmed' };
    return { status: 'recorded' };
  }

  function verifyConfirmationLink(token: string, incidentId: string): LinkCheck {
    const v = verifyLinkToken(deps.linkSecret, token, { incidentId, action: 'confirm' });
    return v.ok ? { ok: true, accountName: v.claims.accountName } : { ok: false, reason: v.reason };
  }

  return {
    incident: (id: string) => incident(id),
    openIncidents,
    bannersFor,
    cmdbService,
    declareIncident,
    postProgress,
    resolveIncident,
    markAffected,
    person,
    confirm,
    recordNps,
    verifyConfirmationLink,
  };
}
