/**
 * The incident journey ("servicing failure demand": the CRM outage, the people it hit told and asked).
 *
 * IT declares an incident on a service; every subscriber is told (page by page, in batch
 * activities that only return counts); people say "this affects me" on their own shard; IT
 * posts progress and resolves; the affected people confirm "fixed" (with an NPS score) or
 * "still broken"; after a wait the service desk gets one follow-up list and everyone on it a
 * message; enough "still broken" answers re-open the incident as a new phase; it closes when
 * every affected person confirmed, or was followed up and the final deadline passed.
 *
 * Bounded history by design (workflows/incident/README.md): no event per subscriber (pages are
 * worked through inside activities), no event per click (clicks go to shards), shard reports
 * are debounced, and this workflow continues as new with its compact state when its history
 * grows.
 */
import {
  ApplicationFailure,
  ActivityFailure,
  ParentClosePolicy,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createIncidentActivities } from '../../activities/incident';
import type { ExperienceActivities, IncidentRecord } from '../../activities/experience';
import { batch, cmdbCall, experienceCall, notification, withRetryInterval } from '../shared/activity-options';
import { EventOutbox } from '../shared/events';
import { Outcome, Stage } from '../shared/search-attributes';
import {
  emptyOutcomes,
  incidentExperiencePatch,
  incidentInputProblems,
  incidentSearchAttributes,
  incidentShardWorkflowId,
  incidentStatusQuery,
  npsView,
  progressUpdate,
  resolveUpdate,
  settingsOf,
  validateProgress,
  validateResolve,
  type AffectedCounts,
  type CloseReason,
  type IncidentContent,
  type IncidentInput,
  type IncidentResult,
  type IncidentStatus,
  type NotificationKind,
  type OutcomeCounts,
  type PhaseRecord,
  type ProgressResult,
  type ResolveResult,
} from './definitions';
import {
  shardCommandSignal,
  shardReportSignal,
  type IncidentResumeState,
  type ShardCommand,
  type ShardInput,
} from './protocol';
import { detailsOf, outcomesOf, statusOf, totalsOf } from './projections';
import { settled } from './settle';
import { incidentShardWorkflow } from './shard';

export { incidentShardWorkflow } from './shard';
export { incidentWorkaroundSmsWorkflow } from './workaround-sms';

type IncidentActivities = ReturnType<typeof createIncidentActivities>;
const acts = proxyActivities<IncidentActivities>(batch);
const experience = proxyActivities<ExperienceActivities>(experienceCall);

const keptNotes = 20;
const keptPasses = 10;

/**
 * The incident workflow (type name `incidentWorkflow`, id `incident-<incidentId>`).
 * Start it with `incidentStartOptions` from definitions.ts. Fails only with an
 * `ApplicationFailure`: `InvalidIncidentInput` or `ServiceNotFound`.
 */
export async function incidentWorkflow(input: IncidentInput): Promise<IncidentResult> {
  const problems = incidentInputProblems(input);
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: 'InvalidIncidentInput',
      message: `The incident cannot start: ${problems.join('; ')}`,
      nonRetryable: true,
    });
  }
  const { timings, scale, reopen } = settingsOf(input);
  const workflowId = workflowInfo().workflowId;
  const now = () => new Date().toISOString();
  const s: IncidentResumeState = input.resume ?? {
    version: 1,
    step: 'start',
    status: 'open',
    phase: 1,
    serviceName: input.serviceId,
    declaredAt: now(),
    notes: [],
    noteSeq: 0,
    phases: [
      {
        phase: 1,
        openedAt: now(),
        resolvedAt: null,
        resolvedBy: null,
        resolutionNote: null,
        followedUpAt: null,
        reopenReason: null,
      },
    ],
    subscribers: null,
    notifications: [],
    notifying: null,
    shardsStarted: false,
    reports: Array.from({ length: scale.shardCount }, () => null),
    lostShards: [],
    commandSeq: 0,
    outbox: [],
    awaitedCommandSeq: 0,
    closeReason: null,
    closedAt: null,
    runs: 1,
  };
  if (input.resume) s.runs += 1;
  let waitingFor = '';
  // Webhook events (workflows/shared/events.ts): per incident milestone, never per subscriber.
  const events = new EventOutbox(input.events, workflowId, input.retryInitialIntervalMs, s.events);
  if (events.active) s.events = events.state;
  const eventData = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    incidentId: input.incidentId,
    workflowId,
    serviceId: input.serviceId,
    serviceName: s.serviceName,
    title: input.title,
    status: s.status,
    phase: s.phase,
    declaredBy: input.declaredBy,
    declaredAt: s.declaredAt,
    ...extra,
  });
  /** Starts the deliveries update handlers queued, after their completions (see settle.ts). */
  async function flushEvents(): Promise<void> {
    if (!events.hasQueued) return;
    await settled();
    events.flush();
  }

  const content = (): IncidentContent => ({
    incidentId: input.incidentId,
    serviceId: input.serviceId,
    serviceName: s.serviceName,
    title: input.title,
    message: input.message,
    workaround: input.workaround ?? null,
  });
  const currentPhase = (): PhaseRecord => s.phases[s.phases.length - 1]!;
  const options = {
    batch: withRetryInterval(batch, input.retryInitialIntervalMs),
    cmdb: withRetryInterval(cmdbCall, input.retryInitialIntervalMs),
    notification: {
      ...withRetryInterval(notification, input.retryInitialIntervalMs),
      startToCloseTimeout: '5 minutes',
      heartbeatTimeout: '1 minute',
    },
  };

  // --- counts from the shards --------------------------------------------------------------

  const liveShards = () => s.reports.map((_, n) => n).filter((n) => !s.lostShards.includes(n));

  function totals(): AffectedCounts {
    return totalsOf(s.reports);
  }

  function outcomes(): OutcomeCounts {
    return outcomesOf(s.reports);
  }

  const allCarriedOut = (seq: number) => liveShards().every((n) => (s.reports[n]?.doneCommandSeq ?? 0) >= seq);
  const allReported = () => liveShards().every((n) => s.reports[n] !== null);
  const allConfirmed = () => {
    const t = totals();
    return allReported() && t.confirmedFixed === t.affected;
  };
  const reopenDue = () => {
    if (s.phase >= reopen.maxPhases) return false;
    const t = totals();
    return (
      t.stillBroken > reopen.stillBrokenAbove ||
      (t.affected > 0 && t.stillBroken / t.affected > reopen.stillBrokenShareAbove)
    );
  };

  // --- the banner, the console and IT's actions ---------------------------------------------

  function status(): IncidentStatus {
    return statusOf(input, s, { workflowId, shardCount: scale.shardCount, liveShards: liveShards() });
  }

  function command(build: (seq: number) => ShardCommand): number {
    s.commandSeq += 1;
    s.outbox.push(build(s.commandSeq));
    return s.commandSeq;
  }

  function setStatus(next: IncidentStatus['status']): void {
    s.status = next;
    upsertSearchAttributes([{ key: Stage, value: next }]);
  }

  setHandler(incidentStatusQuery, status);

  setHandler(
    progressUpdate,
    ({ text, notifyAffected, by }): ProgressResult => {
      if (s.status === 'closed') return { status: 'closed' };
      s.noteSeq += 1;
      const note = { seq: s.noteSeq, at: now(), by, text: text.trim(), notifiedAffected: notifyAffected };
      s.notes = [...s.notes, note].slice(-keptNotes);
      if (notifyAffected) command((seq) => ({ seq, kind: 'progress', phase: s.phase, note }));
      events.enqueue('incident.progress', eventData({ note }));
      showDetails();
      return { status: 'posted', note };
    },
    { validator: validateProgress },
  );

  setHandler(
    resolveUpdate,
    ({ note, by }): ResolveResult => {
      if (s.status !== 'open') return { status: 'not-open', incidentStatus: s.status };
      const phase = currentPhase();
      phase.resolvedAt = now();
      phase.resolvedBy = by;
      phase.resolutionNote = note.trim();
      setStatus('resolved');
      // The main loop sends the subscribers' emails once every shard has sent its own.
      s.awaitedCommandSeq = command((seq) => ({ seq, kind: 'resolved', phase: s.phase, note: note.trim() }));
      events.enqueue(
        'incident.resolved',
        eventData({ resolvedAt: phase.resolvedAt, resolvedBy: by, resolutionNote: phase.resolutionNote }),
      );
      showDetails();
      return { status: 'resolved', phase: s.phase };
    },
    { validator: validateResolve },
  );

  setHandler(shardReportSignal, (report) => {
    const known = s.reports[report.shard];
    if (report.shard < 0 || report.shard >= scale.shardCount || (known && known.seq >= report.seq)) return;
    s.reports[report.shard] = report;
  });

  // --- experience figures (issue: experience metrics) ----------------------------------------

  function experienceRecord(): IncidentRecord {
    const t = totals();
    const first = s.firstAnnouncementAt ?? null;
    const closedAt = s.status === 'closed' ? s.closedAt : null;
    return {
      incidentId: input.incidentId,
      serviceId: input.serviceId,
      declaredAt: s.declaredAt,
      firstAnnouncementAt: first,
      timeToFirstAnnouncementMs: first === null ? null : Math.max(0, Date.parse(first) - Date.parse(s.declaredAt)),
      subscribersTold: s.subscribersTold ?? 0,
      affected: t.affected,
      confirmedFixed: t.confirmedFixed,
      stillBroken: t.stillBroken,
      noAnswer: t.noAnswer,
      // Once closed: the people whose last word was the service desk's follow-up.
      followedUp: closedAt === null ? t.followedUp : outcomes()['followed-up'],
      // The incident closes exactly when its last affected person is settled (confirmed, or
      // followed up and the final deadline passed), so that moment is the close.
      lastSettledAt: closedAt,
      settleTimeMs: closedAt === null ? null : Math.max(0, Date.parse(closedAt) - Date.parse(s.declaredAt)),
      reopened: s.phase - 1,
    };
  }

  /**
   * Upserts the incident's experience record (at each milestone: announced, resolved, followed
   * up, closed). Best-effort: a metrics outage never holds up the incident.
   */
  async function recordExperience(milestone: string): Promise<void> {
    // Incidents from before this change replay without it (their histories are in test/histories/).
    if (!patched(incidentExperiencePatch)) return;
    try {
      await experience.recordIncidentExperience.executeWithOptions(
        { ...experienceCall, summary: `Record experience figures: ${milestone} (phase ${s.phase})` },
        [experienceRecord()],
      );
    } catch (err) {
      log.warn('experience figures not recorded', {
        milestone,
        error: err instanceof Error ? err.message : String(err),
      });
    }
    await settled();
  }

  // --- plumbing: commands out, continue-as-new, waiting -------------------------------------

  /**
   * Delivers the oldest undelivered command to every shard (2 events per shard), one command per
   * call so the callers can continue as new between commands; the outbox travels in the state.
   */
  async function deliverNextCommand(): Promise<void> {
    const cmd = s.outbox[0];
    if (!s.shardsStarted || !cmd) return;
    await Promise.all(
      liveShards().map(async (n) => {
        try {
          await getExternalWorkflowHandle(incidentShardWorkflowId(input.incidentId, n)).signal(shardCommandSignal, cmd);
        } catch (err) {
          // Only a shard terminated by hand cannot be signalled: do not wait for it forever.
          log.error('shard lost: it no longer accepts commands', {
            shard: n,
            error: err instanceof Error ? err.message : String(err),
          });
          s.lostShards.push(n);
        }
      }),
    );
    await settled();
    s.outbox.shift();
  }

  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= scale.continueAsNewAfterEvents;

  async function continueAsNewIfDue(): Promise<void> {
    if (!shouldContinueAsNew()) return;
    // Deliveries in flight end first; what handlers queue meanwhile travels in the state.
    await events.drain();
    await settled();
    log.info('continuing as new', { historyLength: workflowInfo().historyLength, step: s.step });
    await continueAsNew<typeof incidentWorkflow>({ ...input, resume: s });
  }

  /**
   * Waits until `done()` (true) or `deadlineMs` (false), delivering commands and continuing as
   * new while it waits. Every wait of the main loop goes through here.
   */
  async function waitUntil(what: string, done: () => boolean, deadlineMs?: number): Promise<boolean> {
    waitingFor = what;
    for (;;) {
      await flushEvents();
      showDetails();
      if (done()) return true;
      if (deadlineMs !== undefined && Date.now() >= deadlineMs) return false;
      await continueAsNewIfDue();
      if (s.outbox.length > 0 && s.shardsStarted) {
        await deliverNextCommand();
        continue;
      }
      const wake = () =>
        done() || (s.outbox.length > 0 && s.shardsStarted) || shouldContinueAsNew() || events.hasQueued;
      if (deadlineMs === undefined) await condition(wake);
      else await condition(wake, Math.max(1, deadlineMs - Date.now()));
      await settled();
    }
  }

  // --- steps -------------------------------------------------------------------------------

  async function startShards(): Promise<void> {
    const base: Omit<ShardInput, 'shard'> = {
      incident: content(),
      shardCount: scale.shardCount,
      parentWorkflowId: workflowId,
      timings,
      scale,
      ...(input.retryInitialIntervalMs !== undefined ? { retryInitialIntervalMs: input.retryInitialIntervalMs } : {}),
    };
    await Promise.all(
      Array.from({ length: scale.shardCount }, async (_, shard) => {
        try {
          await startChild(incidentShardWorkflow, {
            workflowId: incidentShardWorkflowId(input.incidentId, shard),
            args: [{ ...base, shard }],
            // The shards outlive this run (continue-as-new) and the close (late clicks get a clear answer).
            parentClosePolicy: ParentClosePolicy.ABANDON,
            staticSummary: `${s.serviceName} incident ${input.incidentId}: affected people, shard ${shard + 1} of ${scale.shardCount}`,
            staticDetails: `Holds the people whose account name hashes to shard ${shard} (of ${scale.shardCount}): their "affects me", answers, NPS and follow-up. Incident: \`${workflowId}\`.`,
            typedSearchAttributes: incidentSearchAttributes(input, 'incident-shard', 'open'),
          });
        } catch (err) {
          // Already there (this incident was reset by an operator): use it.
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }),
    );
    await settled();
    s.shardsStarted = true;
  }

  function beginPass(kind: NotificationKind, note: string | null): void {
    s.notifying = {
      kind,
      phase: s.phase,
      startedAt: now(),
      finishedAt: null,
      cursor: null,
      note,
      counts: { subscribers: 0, emailsSent: 0, smsSent: 0, alreadySent: 0, failed: 0 },
    };
    s.step = 'notify';
  }

  const passWords: Record<NotificationKind, string> = {
    declared: 'Outage notice',
    resolved: '"Working again" notice',
    reopened: 'Re-opened notice',
  };

  async function runPass(): Promise<void> {
    const pass = s.notifying!;
    for (;;) {
      waitingFor = `notifying subscribers (${pass.counts.subscribers} so far)`;
      showDetails();
      const r = await acts.notifySubscribers.executeWithOptions(
        {
          ...options.batch,
          summary: `${passWords[pass.kind]} to ${input.serviceId} subscribers, phase ${pass.phase}, from subscriber ${pass.counts.subscribers + 1}`,
        },
        [
          {
            incident: content(),
            phase: pass.phase,
            kind: pass.kind,
            note: pass.note,
            cursor: pass.cursor,
            pageSize: scale.pageSize,
            maxPages: scale.pagesPerActivity,
            sendConcurrency: scale.sendConcurrency,
            ...(scale.emailsPerSecond !== undefined ? { emailsPerSecond: scale.emailsPerSecond } : {}),
            ...(scale.smsPerSecond !== undefined ? { smsPerSecond: scale.smsPerSecond } : {}),
          },
        ],
      );
      await settled();
      await flushEvents();
      for (const k of Object.keys(pass.counts) as (keyof typeof pass.counts)[]) pass.counts[k] += r.counts[k];
      pass.cursor = r.nextCursor;
      if (
        pass.kind === 'declared' &&
        s.firstAnnouncementAt == null &&
        r.counts.emailsSent + r.counts.smsSent + r.counts.alreadySent > 0
      )
        s.firstAnnouncementAt = now();
      if (r.failures.length > 0)
        log.warn('some subscribers could not be notified', { kind: pass.kind, failures: r.failures });
      if (r.done) break;
      await continueAsNewIfDue();
      await deliverNextCommand();
    }
    const { cursor: _cursor, note: _note, ...finished } = pass;
    s.notifications = [...s.notifications, { ...finished, finishedAt: now() }].slice(-keptPasses);
    if (pass.kind === 'declared') {
      s.subscribers = pass.counts.subscribers;
      s.subscribersTold = pass.counts.subscribers - pass.counts.failed;
    }
    s.notifying = null;
  }

  function reopenNow(): void {
    const t = totals();
    const reason = `${t.stillBroken} of ${t.affected} affected people said it is still broken.`;
    currentPhase().reopenReason = reason;
    s.phase += 1;
    s.phases.push({
      phase: s.phase,
      openedAt: now(),
      resolvedAt: null,
      resolvedBy: null,
      resolutionNote: null,
      followedUpAt: null,
      reopenReason: null,
    });
    setStatus('open');
    s.awaitedCommandSeq = command((seq) => ({ seq, kind: 'reopened', phase: s.phase, reason }));
    s.step = 'reopening';
    events.emit('incident.reopened', eventData({ reason }));
    log.info('incident re-opened', { phase: s.phase, stillBroken: t.stillBroken, affected: t.affected });
  }

  function closeNow(reason: CloseReason): void {
    s.closeReason = reason;
    s.awaitedCommandSeq = command((seq) => ({ seq, kind: 'close', reason }));
    s.step = 'closing';
  }

  function showDetails(): void {
    setCurrentDetails(detailsOf(s, waitingFor));
  }

  // --- the main loop: each step is resumable after continue-as-new --------------------------

  for (;;) {
    await settled();
    showDetails();
    switch (s.step) {
      case 'start': {
        waitingFor = 'reading the service from the CMDB';
        try {
          const service = await acts.describeIncidentService.executeWithOptions(
            { ...options.cmdb, summary: `Read service ${input.serviceId} from the CMDB` },
            [{ serviceId: input.serviceId }],
          );
          s.serviceName = service.serviceName;
          await settled();
        } catch (err) {
          if (
            err instanceof ActivityFailure &&
            err.cause instanceof ApplicationFailure &&
            err.cause.type === 'NotFound'
          ) {
            throw ApplicationFailure.create({
              type: 'ServiceNotFound',
              message: `No service "${input.serviceId}" in the CMDB`,
              nonRetryable: true,
            });
          }
          throw err;
        }
        waitingFor = 'starting the shards';
        await startShards();
        events.emit(
          'incident.declared',
          eventData({ message: input.message, workaround: input.workaround?.text ?? null }),
        );
        beginPass('declared', null);
        break;
      }
      case 'notify': {
        const kind = s.notifying!.kind;
        await runPass();
        s.step = kind === 'resolved' ? 'resolved' : 'open';
        await recordExperience(`${kind} notice sent`);
        break;
      }
      case 'open':
        await waitUntil('waiting for IT to resolve', () => s.status !== 'open');
        s.step = 'confirming';
        break;
      case 'confirming':
        await waitUntil('waiting for the shards to email the affected people their confirmation links', () =>
          allCarriedOut(s.awaitedCommandSeq),
        );
        beginPass('resolved', currentPhase().resolutionNote);
        break;
      case 'resolved': {
        const followUpAt = Date.parse(currentPhase().resolvedAt!) + timings.followUpAfterSeconds * 1000;
        const everyoneConfirmed = await waitUntil(
          'waiting for the affected people to confirm',
          allConfirmed,
          followUpAt,
        );
        if (everyoneConfirmed) closeNow('all-confirmed');
        else {
          setStatus('following-up');
          s.awaitedCommandSeq = command((seq) => ({ seq, kind: 'follow-up', phase: s.phase }));
          s.step = 'following-up';
        }
        break;
      }
      case 'following-up': {
        await waitUntil('waiting for the shards to send the follow-up messages', () =>
          allCarriedOut(s.awaitedCommandSeq),
        );
        if (totals().followedUp > 0) {
          const list = await acts.sendFollowUpList.executeWithOptions(
            { ...options.notification, summary: `Follow-up list (phase ${s.phase}) to the service desk` },
            [{ incident: content(), phase: s.phase, shardCount: scale.shardCount }],
          );
          await settled();
          log.info('follow-up list sent', { phase: s.phase, ...list });
        }
        currentPhase().followedUpAt = now();
        await recordExperience('followed up');
        if (reopenDue()) reopenNow();
        else s.step = 'final-wait';
        break;
      }
      case 'final-wait': {
        const deadline = Date.parse(currentPhase().resolvedAt!) + timings.finalDeadlineSeconds * 1000;
        await waitUntil(
          'waiting for the last answers until the final deadline',
          () => allConfirmed() || reopenDue(),
          deadline,
        );
        if (reopenDue()) reopenNow();
        else closeNow(allConfirmed() ? 'all-confirmed' : 'deadline-passed');
        break;
      }
      case 'reopening':
        await waitUntil('waiting for the shards to tell the affected people it is re-opened', () =>
          allCarriedOut(s.awaitedCommandSeq),
        );
        beginPass('reopened', s.phases[s.phases.length - 2]?.reopenReason ?? null);
        break;
      case 'closing': {
        await waitUntil('waiting for the shards to close their records', () => allCarriedOut(s.awaitedCommandSeq));
        await settled();
        s.closedAt = now();
        s.status = 'closed';
        upsertSearchAttributes([
          { key: Stage, value: 'closed' },
          { key: Outcome, value: s.closeReason! },
        ]);
        showDetails();
        await recordExperience('closed');
        const counts = totals();
        events.emit(
          'incident.closed',
          eventData({
            closedAt: s.closedAt,
            closeReason: s.closeReason,
            subscribersTold: s.subscribersTold ?? null,
            counts: { ...counts, nps: npsView(counts.nps) },
          }),
        );
        await events.drain();
        return {
          incidentId: input.incidentId,
          serviceId: input.serviceId,
          title: input.title,
          phases: s.phases,
          declaredAt: s.declaredAt,
          closedAt: s.closedAt,
          closeReason: s.closeReason!,
          subscribers: s.subscribers,
          notifications: s.notifications,
          counts,
          outcomes: outcomes(),
          npsView: npsView(counts.nps),
          shards: s.reports.map((r, shard) => ({
            shard,
            workflowId: incidentShardWorkflowId(input.incidentId, shard),
            outcomes: r?.outcomes ?? emptyOutcomes(),
            affected: r?.counts.affected ?? 0,
          })),
        };
      }
    }
  }
}
