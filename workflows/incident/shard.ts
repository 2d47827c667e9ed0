/**
 * One shard of an incident: the affected people whose account name hashes to it, their answers
 * and NPS, and the messages only they get (progress notes, confirmation links, follow-up).
 *
 * Clicks arrive as updates straight from the portal (routed by `shardOf`), so the incident
 * workflow never sees one event per click. The shard reports its counts to the incident at most
 * every `reportIntervalSeconds`, carries out the incident's commands in order, and continues as
 * new (carrying its compact state) before its history or update count grows large.
 */
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createIncidentActivities, AffectedMessageKind } from '../../activities/incident';
import type { ExperienceActivities, NpsAnswer } from '../../activities/experience';
import { batch, experienceCall, withRetryInterval } from '../shared/activity-options';
import { settled } from './settle';
import { Outcome, Stage } from '../shared/search-attributes';
import {
  affectedUpdate,
  confirmUpdate,
  emptyCounts,
  emptyOutcomes,
  followUpListQuery,
  incidentExperiencePatch,
  npsUpdate,
  peopleQuery,
  personQuery,
  shardNpsReportBoundPatch,
  shardStatusQuery,
  validateAffected,
  validateConfirm,
  validateNps,
  type AffectedCounts,
  type AffectedResult,
  type ConfirmResult,
  type FollowUpRow,
  type IncidentNote,
  type NpsResult,
  type OutcomeCounts,
  type PersonState,
} from './definitions';
import {
  shardCommandSignal,
  shardReportSignal,
  type ShardCommand,
  type ShardInput,
  type ShardPerson,
  type ShardResult,
  type ShardState,
} from './protocol';

type IncidentActivities = ReturnType<typeof createIncidentActivities>;
const acts = proxyActivities<IncidentActivities>(batch);
const experience = proxyActivities<ExperienceActivities>(experienceCall);

/** NPS answers per experience activity (a few hundred bytes each: far below the 2 MB payload limit). */
const npsAnswersPerActivity = 500;

/** Comment characters a shard keeps in all; beyond this, scores are kept and comments dropped. */
const commentBudgetChars = 200_000;
/** Notification activities a shard runs at once. */
const parallelBatches = 4;

/** The shard workflow (type name `incidentShardWorkflow`); started by `incidentWorkflow` only. */
export async function incidentShardWorkflow(input: ShardInput): Promise<ShardResult> {
  const { incident, shard, shardCount, timings, scale } = input;
  const s: ShardState = input.resume ?? {
    status: 'open',
    phase: 1,
    people: {},
    commands: [],
    lastCommandSeq: 0,
    doneCommandSeq: 0,
    reportSeq: 0,
    closedAt: null,
    outcomes: null,
    commentChars: 0,
    runs: 1,
  };
  if (input.resume) s.runs += 1;
  let peopleCount = Object.keys(s.people).length;
  // The first run reports at once, so the incident knows this shard is there; so does a resumed
  // run whose previous one left counts unreported or NPS answers unwritten.
  let dirty =
    input.resume === undefined ||
    s.unreported === true ||
    ((s.npsUnrecorded?.length ?? 0) > 0 && patched(shardNpsReportBoundPatch));
  delete s.unreported;
  let lastReportAt = Number.NEGATIVE_INFINITY;
  let updatesThisRun = 0;
  const label = `shard ${shard + 1}/${shardCount}`;

  const batchOptions = withRetryInterval(batch, input.retryInitialIntervalMs);

  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested ||
    workflowInfo().historyLength >= scale.continueAsNewAfterEvents ||
    updatesThisRun >= scale.continueAsNewAfterUpdates;

  // --- people ------------------------------------------------------------------------------

  function countsOf(): AffectedCounts {
    const c = emptyCounts();
    for (const p of Object.values(s.people)) {
      c.affected += 1;
      if (p.a === 'fixed') c.confirmedFixed += 1;
      else if (p.a === 'still-broken' && p.ap === s.phase) c.stillBroken += 1;
      else c.noAnswer += 1;
      if (p.fu === s.phase) c.followedUp += 1;
      if (p.score !== undefined) {
        c.nps.responses += 1;
        c.nps.sum += p.score;
        if (p.score >= 9) c.nps.promoters += 1;
        else if (p.score >= 7) c.nps.passives += 1;
        else c.nps.detractors += 1;
      }
    }
    return c;
  }

  function personState(accountName: string, p: ShardPerson): PersonState {
    return {
      accountName,
      affectedInPhase: p.p,
      answer: p.a ?? null,
      answeredInPhase: p.ap ?? null,
      score: p.score ?? null,
      followedUpInPhase: p.fu ?? null,
      outcome: p.outcome ?? null,
    };
  }

  function setNps(accountName: string, p: ShardPerson, score: number, comment: string | null | undefined): void {
    p.score = score;
    p.st = new Date().toISOString();
    s.npsUnrecorded ??= [];
    if (!s.npsUnrecorded.includes(accountName)) s.npsUnrecorded.push(accountName);
    const old = p.comment?.length ?? 0;
    const text = comment?.trim() ?? '';
    if (text === '') {
      delete p.comment;
      s.commentChars -= old;
    } else if (s.commentChars - old + text.length <= commentBudgetChars) {
      p.comment = text;
      s.commentChars += text.length - old;
    } else {
      log.warn('NPS comment dropped: the shard keeps at most this many comment characters', { commentBudgetChars });
    }
    dirty = true;
  }

  function followUpReason(p: ShardPerson): FollowUpRow['reason'] {
    return p.a === 'still-broken' && p.ap === s.phase ? 'still-broken' : 'no-answer';
  }

  const sortedNames = () => Object.keys(s.people).sort();

  // --- messages from the portal (one person's clicks) ---------------------------------------

  setHandler(
    affectedUpdate,
    ({ accountName }): AffectedResult => {
      updatesThisRun += 1;
      if (s.status === 'closed') return { status: 'closed' };
      if (s.status !== 'open') return { status: 'not-open', incidentStatus: s.status };
      let status: 'recorded' | 'already-recorded' = 'already-recorded';
      let p = s.people[accountName];
      if (!p) {
        if (peopleCount >= scale.maxPeoplePerShard) {
          log.warn('shard full: person not recorded', { shard, maxPeoplePerShard: scale.maxPeoplePerShard });
          return { status: 'shard-full' };
        }
        p = { p: s.phase };
        s.people[accountName] = p;
        peopleCount += 1;
        status = 'recorded';
        dirty = true;
      } else if (p.a === 'fixed') {
        // Fixed for them earlier, broken again after a re-open: on the list again.
        p.p = s.phase;
        delete p.a;
        delete p.ap;
        status = 'recorded';
        dirty = true;
      }
      return { status, affected: peopleCount };
    },
    { validator: validateAffected },
  );

  setHandler(
    confirmUpdate,
    ({ accountName, answer, score, comment }): ConfirmResult => {
      updatesThisRun += 1;
      if (s.status === 'closed') return { status: 'closed' };
      if (s.status === 'open') return { status: 'not-resolved', incidentStatus: s.status };
      const p = s.people[accountName];
      if (!p) return { status: 'not-affected' };
      const same = p.a === answer && (answer === 'fixed' || p.ap === s.phase);
      if (!same) {
        p.a = answer;
        p.ap = s.phase;
        dirty = true;
      }
      if (answer === 'fixed' && score !== undefined) setNps(accountName, p, score, comment);
      return { status: same ? 'already-recorded' : 'recorded', answer, phase: s.phase };
    },
    { validator: validateConfirm },
  );

  setHandler(
    npsUpdate,
    ({ accountName, score, comment }): NpsResult => {
      updatesThisRun += 1;
      if (s.status === 'closed') return { status: 'closed' };
      const p = s.people[accountName];
      if (!p || p.a !== 'fixed') return { status: 'not-confirmed' };
      setNps(accountName, p, score, comment);
      return { status: 'recorded', score };
    },
    { validator: validateNps },
  );

  setHandler(personQuery, (accountName) => {
    const p = s.people[accountName];
    return p ? personState(accountName, p) : null;
  });

  setHandler(shardStatusQuery, () => ({
    incidentId: incident.incidentId,
    shard,
    status: s.status,
    phase: s.phase,
    counts: countsOf(),
    outcomes: s.outcomes,
    runUpdates: updatesThisRun,
  }));

  setHandler(followUpListQuery, ({ phase, offset, limit }) => {
    const rows: FollowUpRow[] = [];
    for (const name of sortedNames()) {
      const p = s.people[name]!;
      if (p.fu === phase && p.a !== 'fixed') rows.push({ accountName: name, reason: followUpReason(p) });
    }
    return { total: rows.length, rows: rows.slice(offset, offset + Math.min(limit, 5000)) };
  });

  setHandler(peopleQuery, ({ offset, limit }) => {
    const names = sortedNames();
    return {
      total: names.length,
      people: names.slice(offset, offset + Math.min(limit, 5000)).map((n) => personState(n, s.people[n]!)),
    };
  });

  // --- commands from the incident ----------------------------------------------------------

  setHandler(shardCommandSignal, (command) => {
    // Redelivered or stale commands (seq already seen) change nothing.
    if (command.seq <= s.lastCommandSeq) return;
    s.lastCommandSeq = command.seq;
    s.commands.push(command);
  });

  function upsertStage(): void {
    upsertSearchAttributes([{ key: Stage, value: s.status }]);
  }

  /** Unsettled people (not "fixed"), with how they left the last phase. */
  const unsettled = () => sortedNames().filter((n) => s.people[n]!.a !== 'fixed');

  async function execute(command: ShardCommand): Promise<void> {
    switch (command.kind) {
      case 'progress':
        if (s.status !== 'closed' && command.note.notifiedAffected)
          await notify(
            'progress',
            unsettled().map((accountName) => ({ accountName })),
            command.note,
            s.phase,
          );
        return;
      case 'resolved':
        s.phase = command.phase;
        s.status = 'resolved';
        upsertStage();
        dirty = true;
        await notify(
          'resolved',
          unsettled().map((accountName) => ({ accountName })),
          command.note,
          command.phase,
        );
        return;
      case 'follow-up': {
        s.status = 'following-up';
        upsertStage();
        const people = unsettled()
          .filter((n) => s.people[n]!.fu !== command.phase)
          .map((accountName) => {
            const p = s.people[accountName]!;
            p.fu = command.phase;
            return { accountName, reason: followUpReason(p) };
          });
        dirty = true;
        await notify('follow-up', people, null, command.phase);
        return;
      }
      case 'reopened':
        s.phase = command.phase;
        s.status = 'open';
        upsertStage();
        dirty = true;
        await notify(
          'reopened',
          unsettled().map((accountName) => ({ accountName })),
          command.reason,
          command.phase,
        );
        return;
      case 'close': {
        const outcomes: OutcomeCounts = emptyOutcomes();
        for (const p of Object.values(s.people)) {
          p.outcome = p.a === 'fixed' ? 'confirmed' : p.fu !== undefined ? 'followed-up' : 'deadline-passed';
          outcomes[p.outcome] += 1;
        }
        s.outcomes = outcomes;
        s.status = 'closed';
        s.closedAt = new Date().toISOString();
        upsertSearchAttributes([
          { key: Stage, value: 'closed' },
          { key: Outcome, value: command.reason },
        ]);
        dirty = true;
        return;
      }
    }
  }

  const what: Record<AffectedMessageKind, string> = {
    progress: 'Progress note',
    resolved: 'Resolution email with confirmation links',
    reopened: 'Re-opened notice',
    'follow-up': 'Follow-up message',
  };

  /** Sends one kind of message to `people`, a batch per activity, a few batches at a time. */
  async function notify(
    kind: AffectedMessageKind,
    people: { accountName: string; reason?: FollowUpRow['reason'] }[],
    note: IncidentNote | string | null,
    phase: number,
  ): Promise<void> {
    if (people.length === 0) return;
    const size = scale.peoplePerActivity;
    const batches: (typeof people)[] = [];
    for (let i = 0; i < people.length; i += size) batches.push(people.slice(i, i + size));
    const linkExpiresAt = Date.now() + timings.linkValidSeconds * 1000;
    let next = 0;
    const runner = async () => {
      while (next < batches.length) {
        const index = next++;
        const chunk = batches[index]!;
        const result = await acts.notifyAffectedPeople.executeWithOptions(
          {
            ...batchOptions,
            summary: `${what[kind]} to ${chunk.length} affected people (phase ${phase}, batch ${index + 1}/${batches.length})`,
          },
          [
            {
              incident,
              phase,
              kind,
              people: chunk,
              note,
              linkExpiresAt,
              sendConcurrency: scale.sendConcurrency,
              ...(scale.emailsPerSecond !== undefined ? { emailsPerSecond: scale.emailsPerSecond } : {}),
            },
          ],
        );
        await settled();
        if (result.failed > 0)
          log.warn('some affected people could not be emailed', {
            kind,
            failed: result.failed,
            failures: result.failures,
          });
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallelBatches, batches.length) }, runner));
  }

  // --- reporting and the main loop ---------------------------------------------------------

  /**
   * Writes the new NPS answers to the experience store, a batch per activity (upserts: a retry or
   * a second write of the same answer changes nothing). Best-effort: when the store stays down,
   * the answers stay pending for the next report and the incident goes on (`'failed'`).
   *
   * Only as many batches as were pending when the report began: answers keep arriving while an
   * activity runs, and writing those too could keep the shard in this one report, neither
   * reporting nor continuing as new, while people kept answering. What arrived meanwhile stays
   * pending (`'more'`) for the next report (see {@link shardNpsReportBoundPatch}).
   */
  async function recordNpsAnswers(): Promise<'done' | 'more' | 'failed'> {
    const batchesDue = Math.ceil((s.npsUnrecorded?.length ?? 0) / npsAnswersPerActivity);
    let batches = 0;
    while ((s.npsUnrecorded?.length ?? 0) > 0) {
      // Incidents from before this change replay without it (their histories are in test/histories/).
      if (!patched(incidentExperiencePatch)) return 'done';
      // Shards from before the bound replay the loop that drained every answer.
      if (batches >= batchesDue && patched(shardNpsReportBoundPatch)) return 'more';
      batches += 1;
      const names = s.npsUnrecorded!.slice(0, npsAnswersPerActivity);
      const answers: NpsAnswer[] = [];
      for (const user of names) {
        const p = s.people[user];
        if (p?.score === undefined) continue;
        answers.push({
          incidentId: incident.incidentId,
          serviceId: incident.serviceId,
          user,
          score: p.score,
          comment: p.comment ?? null,
          at: p.st ?? new Date().toISOString(),
        });
      }
      const sent = new Map(names.map((n) => [n, s.people[n]?.st]));
      try {
        if (answers.length > 0) {
          await experience.recordNpsAnswers.executeWithOptions(
            { ...experienceCall, summary: `Record ${answers.length} NPS answers (${label})` },
            [answers],
          );
        }
      } catch (err) {
        log.warn('NPS answers not recorded in the experience store; kept for the next report', {
          error: err instanceof Error ? err.message : String(err),
        });
        return 'failed';
      }
      // Someone who answered again meanwhile stays pending with the newer answer.
      s.npsUnrecorded = s.npsUnrecorded!.filter((n) => !sent.has(n) || sent.get(n) !== s.people[n]?.st);
    }
    return 'done';
  }

  /** Reports the counts to the incident; `withNps`: first writes the pending NPS answers. */
  async function report(withNps = true): Promise<void> {
    // Answers that arrived during the write keep the shard dirty: the next report writes them.
    dirty = withNps && (await recordNpsAnswers()) === 'more';
    lastReportAt = Date.now();
    s.reportSeq += 1;
    try {
      await getExternalWorkflowHandle(input.parentWorkflowId).signal(shardReportSignal, {
        shard,
        seq: s.reportSeq,
        doneCommandSeq: s.doneCommandSeq,
        counts: countsOf(),
        outcomes: s.outcomes,
      });
    } catch (err) {
      // After the close the incident may be gone; before it, the next report catches up.
      log.info('report to the incident not delivered', { error: err instanceof Error ? err.message : String(err) });
    }
    await settled();
  }

  function showDetails(): void {
    const c = countsOf();
    setCurrentDetails(
      [
        `**${label} · phase ${s.phase} · ${s.status}** (run ${s.runs})`,
        `Affected ${c.affected} · fixed ${c.confirmedFixed} · still broken ${c.stillBroken} · no answer ${c.noAnswer} · followed up ${c.followedUp}`,
        `NPS answers ${c.nps.responses}`,
        s.commands.length > 0 ? `Now: carrying out “${s.commands[0]!.kind}”` : '',
      ]
        .filter((l) => l !== '')
        .join('\n\n'),
    );
  }

  const closedAtMs = () => (s.closedAt ? Date.parse(s.closedAt) : Number.POSITIVE_INFINITY);
  const lingerEndsAt = () => closedAtMs() + timings.lingerAfterCloseSeconds * 1000;

  for (;;) {
    await settled();
    showDetails();
    const command = s.commands[0];
    if (command) {
      await execute(command);
      await settled();
      s.commands.shift();
      s.doneCommandSeq = command.seq;
      // Reported at once: the incident waits for this to go on.
      await report();
      continue;
    }
    if (s.status === 'closed' && Date.now() >= lingerEndsAt()) break;
    if (shouldContinueAsNew()) {
      // The counts go to the incident now. Unwritten NPS answers travel in the state and the
      // next run writes them first: a write here would let clicks pile up past the threshold.
      if (dirty) await report(!((s.npsUnrecorded?.length ?? 0) > 0 && patched(shardNpsReportBoundPatch)));
      await settled();
      // A click during that report: the next run tells the incident.
      if (dirty && patched(shardNpsReportBoundPatch)) s.unreported = true;
      // Commands that arrived meanwhile travel in the state.
      await continueAsNew<typeof incidentShardWorkflow>({ ...input, resume: s });
    }
    const now = Date.now();
    if (dirty && now - lastReportAt >= timings.reportIntervalSeconds * 1000) {
      await report();
      continue;
    }
    const wasDirty = dirty;
    const wake = () => s.commands.length > 0 || dirty !== wasDirty || shouldContinueAsNew();
    const deadlines = [
      dirty ? lastReportAt + timings.reportIntervalSeconds * 1000 : Infinity,
      s.status === 'closed' ? lingerEndsAt() : Infinity,
    ];
    const until = Math.min(...deadlines);
    if (until === Infinity) await condition(wake);
    else await condition(wake, Math.max(1, until - now));
  }

  await settled();
  return {
    incidentId: incident.incidentId,
    shard,
    closedAt: s.closedAt,
    counts: countsOf(),
    outcomes: s.outcomes,
    people: s.people,
  };
}
