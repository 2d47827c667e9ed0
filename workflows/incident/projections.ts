/**
 * What the incident workflow shows, computed from its state alone: the counts summed over the
 * shards' latest reports, the status its query answers and the details line of the Temporal UI.
 * Pure functions, so they are tested without a server and the workflow only calls them.
 */
import {
  emptyCounts,
  emptyOutcomes,
  npsView,
  oneLine,
  type AffectedCounts,
  type IncidentInput,
  type IncidentStatus,
  type OutcomeCounts,
} from './definitions';
import type { IncidentResumeState, ShardReport } from './protocol';

/** The counts over the affected people, summed over the shards that have reported. */
export function totalsOf(reports: readonly (ShardReport | null)[]): AffectedCounts {
  const t = emptyCounts();
  for (const r of reports) {
    if (!r) continue;
    t.affected += r.counts.affected;
    t.confirmedFixed += r.counts.confirmedFixed;
    t.stillBroken += r.counts.stillBroken;
    t.noAnswer += r.counts.noAnswer;
    t.followedUp += r.counts.followedUp;
    for (const k of ['responses', 'sum', 'promoters', 'passives', 'detractors'] as const) t.nps[k] += r.counts.nps[k];
  }
  return t;
}

/** How the affected people left the incident, summed over the shards that reported outcomes. */
export function outcomesOf(reports: readonly (ShardReport | null)[]): OutcomeCounts {
  const o = emptyOutcomes();
  for (const r of reports)
    if (r?.outcomes) for (const k of Object.keys(o) as (keyof OutcomeCounts)[]) o[k] += r.outcomes[k];
  return o;
}

/** Where the incident runs: its workflow id, its shard count and the shards still answering. */
export interface IncidentPlace {
  workflowId: string;
  shardCount: number;
  liveShards: readonly number[];
}

/** What {@link IncidentStatus} the status query answers for this state. */
export function statusOf(input: IncidentInput, s: IncidentResumeState, place: IncidentPlace): IncidentStatus {
  const counts = totalsOf(s.reports);
  return {
    incidentId: input.incidentId,
    workflowId: place.workflowId,
    serviceId: input.serviceId,
    serviceName: s.serviceName,
    title: input.title,
    message: input.message,
    workaround: input.workaround ?? null,
    status: s.status,
    phase: s.phase,
    declaredBy: input.declaredBy,
    declaredAt: s.declaredAt,
    notes: s.notes,
    latestNote: s.notes[s.notes.length - 1] ?? null,
    phases: s.phases,
    subscribers: s.subscribers,
    notifications: s.notifications,
    notifying: s.notifying
      ? {
          kind: s.notifying.kind,
          phase: s.notifying.phase,
          startedAt: s.notifying.startedAt,
          finishedAt: null,
          counts: s.notifying.counts,
        }
      : null,
    counts,
    npsView: npsView(counts.nps),
    shardCount: place.shardCount,
    shardsNotReported: place.liveShards.filter((n) => s.reports[n] === null).length,
    closedAt: s.closedAt,
    closeReason: s.closeReason,
  };
}

/** The workflow's current details in the Temporal UI (markdown, one paragraph a line). */
export function detailsOf(s: IncidentResumeState, waitingFor: string): string {
  const t = totalsOf(s.reports);
  const last = s.notifications[s.notifications.length - 1];
  const nps = npsView(t.nps);
  return [
    `**Phase ${s.phase} · ${s.status}** · ${s.serviceName}${s.runs > 1 ? ` (run ${s.runs})` : ''}`,
    s.notifying
      ? `Notifying subscribers (${s.notifying.kind}): ${s.notifying.counts.subscribers} so far`
      : last
        ? `Last notice (${last.kind}): ${last.counts.subscribers} subscribers, ${last.counts.emailsSent + last.counts.alreadySent} emails, ${last.counts.smsSent} SMS, ${last.counts.failed} refused`
        : '',
    `Affected ${t.affected} · fixed ${t.confirmedFixed} · still broken ${t.stillBroken} · no answer ${t.noAnswer} · followed up ${t.followedUp}`,
    nps.responses > 0 ? `NPS ${nps.score} (${nps.responses} answers, average ${nps.average})` : '',
    s.notes.length > 0 ? `Latest note: ${oneLine(s.notes[s.notes.length - 1]!.text, 160)}` : '',
    s.status === 'closed' ? `Closed: ${s.closeReason}` : waitingFor ? `Now: ${waitingFor}` : '',
  ]
    .filter((l) => l !== '')
    .join('\n\n');
}
