import { describe, expect, it } from 'vitest';
import { summarizeServices } from '../../experience/aggregate';
import { lastDays } from '../../experience/report';
import type { ServiceExperience, XlaTarget } from '../../experience/types';
import { describeXla, evaluateXla, evaluateXlas, overallXlaStatus, xlaTargetSchema } from '../../experience/xla';
import { expensatron } from './expected';
import { fixtureReport, generatedAt, journey } from './fixtures';

describe('experience report', () => {
  it('evaluates every XLA target with the measured value', async () => {
    const report = await fixtureReport();
    expect(report.generatedAt).toBe(generatedAt.toISOString());
    expect(report.window).toEqual({ from: '2026-03-02T00:00:00.000Z', to: '2026-03-04T00:00:00.000Z' });
    // the standard four plus what the targets need (p80, p100 for "nobody waits")
    expect(report.percentiles).toEqual([50, 80, 90, 95, 99, 100]);
    expect(report.services.map((s) => [s.name, s.xlaStatus])).toEqual([
      ['Expensatron', 'broken'],
      ['Laptop refresh', 'no-data'],
      ['Mail', 'broken'],
      ['vpn', null],
    ]);

    const [e, laptop, mail, vpn] = report.services;
    expect(e!.xla.map((x) => [x.id, x.status, x.measured, x.threshold, x.unit])).toEqual([
      ['time-to-outcome-p95', 'broken', 600_000, 120_000, 'ms'], // p95 = 600 s
      ['time-to-outcome-p80', 'at-risk', 110_000, 120_000, 'ms'], // 110 s ≥ 108 s (within 10 %)
      ['time-to-outcome-p50', 'met', 61_000, 120_000, 'ms'],
      ['nps', 'at-risk', 27, 20, 'nps'], // 27 < 20 + 10
      ['nps-2', 'met', 27, 10, 'nps'],
      ['longest-silence-p100', 'broken', 1_800_000, 900_000, 'ms'], // someone waited 30 min
      ['came-back', 'at-risk', 15, 15, 'percent'], // 3 of 20 = 15 %: at the limit
    ]);
    expect(e!.xla[0]!.description).toBe('95% of journeys reach an outcome in under 2 min');
    expect(e!.xla[5]!.description).toBe('Nobody waits 15 min or longer without news');
    expect(e!.figures.journeys.timeToOutcomeMs.percentiles.map((p) => p.percentile)).toEqual([50, 80, 90, 95, 99, 100]);
    expect(e!.figures.nps).toEqual(expensatron.nps);

    expect(mail!.xla.map((x) => [x.id, x.status, x.measured])).toEqual([
      ['incident-settle-p50', 'met', 1_800_000],
      ['incident-settle-p90', 'broken', 7_200_000], // "under 2 h" and it took exactly 2 h
      ['nps', 'met', 13],
    ]);
    expect(laptop!.xla).toEqual([
      expect.objectContaining({ id: 'time-to-outcome-p90', status: 'no-data', measured: null, threshold: 86_400_000 }),
    ]);
    expect(laptop!.figures.journeys.count).toBe(0);
    expect(vpn!.xla).toEqual([]);
    expect(report.worst.longestTimeToOutcome.map((w) => w.journeyId)).toEqual([
      'fulfilment-expensatron-e13',
      'fulfilment-expensatron-e04',
      'fulfilment-expensatron-e08',
    ]);
    expect(report.daily).toHaveLength(5);
  });

  it('gives a window of the last days', () => {
    expect(lastDays(7, new Date('2026-03-08T12:00:00Z'))).toEqual({
      from: new Date('2026-03-01T12:00:00Z'),
      to: new Date('2026-03-08T12:00:00Z'),
    });
  });
});

/** Figures of one service whose journeys took exactly `times` ms (and answered `scores`). */
function figures(times: number[], extra: { cameBack?: number; scores?: number[] } = {}): ServiceExperience {
  const journeys = times.map((t, i) =>
    journey({
      journeyId: `j${i}`,
      serviceId: 's',
      finishedAt: '2026-03-02T10:00:00.000Z',
      timeToOutcomeMs: t,
      longestSilenceMs: t,
      cameBack: i < (extra.cameBack ?? 0),
    }),
  );
  const answers = (extra.scores ?? []).map((score, i) => ({
    journeyId: `j${i}`,
    serviceId: 's',
    user: `u${i}`,
    score,
    comment: null,
    at: '2026-03-02T10:00:00.000Z',
  }));
  return summarizeServices({ journeys, incidents: [], answers }, { percentiles: [100] })[0]!;
}

describe('XLA status', () => {
  const under: XlaTarget = { kind: 'time-to-outcome', percentile: 95, underMs: 120_000 };

  it('is at risk within 10 % under a time threshold and broken at it', () => {
    expect(evaluateXla(under, figures([107_999])).status).toBe('met');
    expect(evaluateXla(under, figures([108_000])).status).toBe('at-risk');
    expect(evaluateXla(under, figures([119_999])).status).toBe('at-risk');
    expect(evaluateXla(under, figures([120_000])).status).toBe('broken');
    expect(evaluateXla({ kind: 'longest-silence', underMs: 1000 }, figures([10, 20, 1000])).status).toBe('broken');
    expect(
      evaluateXla({ kind: 'longest-silence', underMs: 1000, percentile: 50 }, figures([10, 20, 1000])).status,
    ).toBe('met');
  });

  it('is at risk within 10 NPS points above the target', () => {
    const target: XlaTarget = { kind: 'nps', atLeast: 30 };
    // 10 answers: promoters − detractors decides the score in steps of 10
    const scores = (p: number, d: number): number[] => [
      ...Array<number>(p).fill(10),
      ...Array<number>(d).fill(0),
      ...Array<number>(10 - p - d).fill(7),
    ];
    expect(evaluateXla(target, figures([1], { scores: scores(4, 0) })).status).toBe('met'); // 40
    expect(evaluateXla(target, figures([1], { scores: scores(4, 1) })).status).toBe('at-risk'); // 30
    expect(evaluateXla(target, figures([1], { scores: scores(3, 1) })).status).toBe('broken'); // 20
    expect(evaluateXla(target, figures([1])).status).toBe('no-data');
  });

  it('is at risk above 90 % of an "at most" percentage and broken beyond it', () => {
    const target: XlaTarget = { kind: 'came-back', atMostPercent: 20 };
    const ten = Array<number>(10).fill(1);
    expect(evaluateXla(target, figures(ten, { cameBack: 1 })).status).toBe('met'); // 10 %
    expect(evaluateXla(target, figures(ten, { cameBack: 2 })).status).toBe('at-risk'); // 20 %
    expect(evaluateXla(target, figures(ten, { cameBack: 3 })).status).toBe('broken'); // 30 %
  });

  it('has no data without measurements, and the worst status wins', () => {
    const none = evaluateXla(under, undefined);
    expect(none).toMatchObject({ status: 'no-data', measured: null, threshold: 120_000 });
    const evaluations = evaluateXlas([under, { kind: 'nps', atLeast: 0 }], figures([130_000]));
    expect(evaluations.map((e) => e.status)).toEqual(['broken', 'no-data']);
    expect(overallXlaStatus(evaluations)).toBe('broken');
    expect(overallXlaStatus([])).toBeNull();
    expect(overallXlaStatus([none])).toBe('no-data');
  });

  it('checks catalog targets and describes them', () => {
    expect(xlaTargetSchema.safeParse({ kind: 'time-to-outcome', percentile: 95, underMs: 120_000 }).success).toBe(true);
    expect(xlaTargetSchema.safeParse({ kind: 'time-to-outcome', percentile: 95.5, underMs: 120_000 }).success).toBe(
      false,
    );
    expect(xlaTargetSchema.safeParse({ kind: 'nps', atLeast: 200 }).success).toBe(false);
    expect(xlaTargetSchema.safeParse({ kind: 'speed' }).success).toBe(false);
    expect(describeXla({ kind: 'nps', atLeast: 30 })).toBe('NPS of at least 30');
    expect(describeXla({ kind: 'nps', atLeast: 30, description: 'Users recommend us' })).toBe('Users recommend us');
    expect(() => evaluateXla({ kind: 'time-to-outcome', percentile: 80, underMs: 1 }, figures([1]))).toThrow(
      /not computed/,
    );
  });
});
