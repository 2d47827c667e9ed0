/**
 * The incident's projections of its own state: the counts over the shards' reports, the status
 * its query answers and the details line. Pure functions, so no server is needed.
 */
import { describe, expect, it } from 'vitest';
import { emptyCounts, type AffectedCounts, type IncidentInput } from '../../../workflows/incident/definitions';
import { detailsOf, outcomesOf, statusOf, totalsOf } from '../../../workflows/incident/projections';
import type { IncidentResumeState, ShardReport } from '../../../workflows/incident/protocol';

function report(shard: number, counts: Partial<AffectedCounts>, outcomes: ShardReport['outcomes'] = null): ShardReport {
  return { shard, seq: 1, doneCommandSeq: 0, counts: { ...emptyCounts(), ...counts }, outcomes };
}

const nps = (responses: number, sum: number, promoters: number, passives: number, detractors: number) => ({
  responses,
  sum,
  promoters,
  passives,
  detractors,
});

const input: IncidentInput = {
  incidentId: 'crm-1',
  serviceId: 'crm',
  title: 'CRM down',
  message: 'The CRM web app does not load.',
  declaredBy: 'ivy',
};

function state(overrides: Partial<IncidentResumeState> = {}): IncidentResumeState {
  return {
    version: 1,
    step: 'open',
    status: 'open',
    phase: 1,
    serviceName: 'CRM',
    declaredAt: '2026-01-01T09:00:00.000Z',
    notes: [],
    noteSeq: 0,
    phases: [
      {
        phase: 1,
        openedAt: '2026-01-01T09:00:00.000Z',
        resolvedAt: null,
        resolvedBy: null,
        resolutionNote: null,
        followedUpAt: null,
        reopenReason: null,
      },
    ],
    subscribers: 5,
    notifications: [],
    notifying: null,
    shardsStarted: true,
    reports: [null, null],
    lostShards: [],
    commandSeq: 0,
    outbox: [],
    awaitedCommandSeq: 0,
    closeReason: null,
    closedAt: null,
    runs: 1,
    ...overrides,
  };
}

describe('totalsOf', () => {
  it('is all zeros before any shard reported', () => {
    expect(totalsOf([null, null])).toEqual(emptyCounts());
  });

  it('sums every count and the NPS figures over the shards that reported', () => {
    const totals = totalsOf([
      report(0, {
        affected: 3,
        confirmedFixed: 2,
        stillBroken: 1,
        noAnswer: 0,
        followedUp: 1,
        nps: nps(2, 19, 2, 0, 0),
      }),
      null,
      report(2, {
        affected: 2,
        confirmedFixed: 0,
        stillBroken: 0,
        noAnswer: 2,
        followedUp: 0,
        nps: nps(1, 3, 0, 0, 1),
      }),
    ]);
    expect(totals).toEqual({
      affected: 5,
      confirmedFixed: 2,
      stillBroken: 1,
      noAnswer: 2,
      followedUp: 1,
      nps: nps(3, 22, 2, 0, 1),
    });
  });
});

describe('outcomesOf', () => {
  it('sums the outcomes of the shards that closed and ignores the others', () => {
    expect(
      outcomesOf([
        report(0, {}, { confirmed: 2, 'followed-up': 1, 'deadline-passed': 0 }),
        report(1, {}),
        report(2, {}, { confirmed: 1, 'followed-up': 0, 'deadline-passed': 3 }),
      ]),
    ).toEqual({ confirmed: 3, 'followed-up': 1, 'deadline-passed': 3 });
  });
});

describe('statusOf', () => {
  it('answers the input, the state, the summed counts and the shards still to report', () => {
    const s = state({ reports: [report(0, { affected: 2, confirmedFixed: 1, nps: nps(1, 10, 1, 0, 0) }), null] });
    const status = statusOf(input, s, { workflowId: 'incident-crm-1', shardCount: 2, liveShards: [0, 1] });
    expect(status).toMatchObject({
      incidentId: 'crm-1',
      workflowId: 'incident-crm-1',
      serviceId: 'crm',
      serviceName: 'CRM',
      workaround: null,
      status: 'open',
      latestNote: null,
      notifying: null,
      shardCount: 2,
      shardsNotReported: 1,
      closedAt: null,
    });
    expect(status.counts.affected).toBe(2);
    expect(status.npsView).toMatchObject({ responses: 1, average: 10, score: 100 });
  });

  it('does not wait for a lost shard, and shows a pass under way as not finished', () => {
    const s = state({
      notifying: {
        kind: 'declared',
        phase: 1,
        startedAt: '2026-01-01T09:00:01.000Z',
        finishedAt: null,
        counts: { subscribers: 4, emailsSent: 3, alreadySent: 0, smsSent: 1, failed: 0 },
        cursor: 'page-2',
        note: null,
      },
    });
    const status = statusOf(input, s, { workflowId: 'w', shardCount: 2, liveShards: [0] });
    expect(status.shardsNotReported).toBe(1);
    expect(status.notifying).toEqual({
      kind: 'declared',
      phase: 1,
      startedAt: '2026-01-01T09:00:01.000Z',
      finishedAt: null,
      counts: { subscribers: 4, emailsSent: 3, alreadySent: 0, smsSent: 1, failed: 0 },
    });
  });
});

describe('detailsOf', () => {
  it('shows the phase, the counts and what the workflow waits for', () => {
    const details = detailsOf(state({ reports: [report(0, { affected: 1, noAnswer: 1 }), null] }), 'IT to resolve');
    expect(details).toBe(
      [
        '**Phase 1 · open** · CRM',
        'Affected 1 · fixed 0 · still broken 0 · no answer 1 · followed up 0',
        'Now: IT to resolve',
      ].join('\n\n'),
    );
  });

  it('names the run after a continue-as-new, the NPS, the latest note and the close reason', () => {
    const details = detailsOf(
      state({
        status: 'closed',
        runs: 3,
        closeReason: 'all-confirmed',
        notes: [
          { seq: 1, at: '2026-01-01T10:00:00.000Z', by: 'ivy', text: 'Fixed\nfor good', notifiedAffected: false },
        ],
        reports: [report(0, { affected: 1, confirmedFixed: 1, nps: nps(2, 17, 1, 1, 0) })],
      }),
      'ignored once closed',
    );
    expect(details.split('\n\n')).toEqual([
      '**Phase 1 · closed** · CRM (run 3)',
      'Affected 1 · fixed 1 · still broken 0 · no answer 0 · followed up 0',
      'NPS 50 (2 answers, average 8.5)',
      'Latest note: Fixed for good',
      'Closed: all-confirmed',
    ]);
  });
});
