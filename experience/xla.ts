/**
 * Experience level agreements: per-service targets (declared in the service's catalog module as
 * `xla: XlaTarget[]`) evaluated against the measured figures.
 *
 * Status rules:
 * - **met**: the target holds with room to spare.
 * - **at-risk**: the target still holds, but the measured value is within 10 % of the threshold:
 *   for "under X" targets (times) 0.9·X ≤ measured < X; for "at most P %" (came back)
 *   0.9·P < measured ≤ P; for NPS, within 10 points: atLeast ≤ score < atLeast + 10 (10 % of the
 *   100 points from a neutral 0 to the best possible score — 10 % of the threshold itself would
 *   be no band at all for "NPS ≥ 0").
 * - **broken**: the target does not hold ("under X" means strictly under: measured ≥ X breaks it).
 * - **no-data**: nothing measured in the window (no journeys, no answers, no settled incidents).
 */
import { z } from 'zod';
import { checkPercentile, percentileOf } from './aggregate';
import { formatDuration } from './format';
import type { ServiceExperience, XlaEvaluation, XlaStatus, XlaTarget } from './types';

/** At risk within this fraction of a time or percentage threshold. */
export const atRiskFraction = 0.1;
/** At risk within this many NPS points above the target. */
export const npsAtRiskPoints = 10;

const percentile = z.int('must be a whole number').min(1, 'must be 1–100').max(100, 'must be 1–100');
const positiveMs = z.int('must be a whole number of ms').positive('must be positive');
const description = z.string().min(1).max(200).optional();

/** For catalog tests: checks a service module's `xla` list. */
export const xlaTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('time-to-outcome'), percentile, underMs: positiveMs, description }),
  z.object({ kind: z.literal('longest-silence'), underMs: positiveMs, percentile: percentile.optional(), description }),
  z.object({ kind: z.literal('nps'), atLeast: z.int('must be a whole number').min(-100).max(100), description }),
  z.object({ kind: z.literal('came-back'), atMostPercent: z.number().min(0).max(100), description }),
  z.object({ kind: z.literal('incident-settle'), percentile, underMs: positiveMs, description }),
]);

/** The percentiles the targets need computed (for the store's `percentiles` option). */
export function percentilesNeeded(targets: readonly XlaTarget[]): number[] {
  const ps: number[] = [];
  for (const t of targets) {
    if (t.kind === 'time-to-outcome' || t.kind === 'incident-settle') ps.push(t.percentile);
    if (t.kind === 'longest-silence') ps.push(t.percentile ?? 100);
  }
  for (const p of ps) checkPercentile(p);
  return ps;
}

/** A short stable id per target, for metric labels and CSV: `time-to-outcome-p95`, `nps`, … */
export function xlaId(target: XlaTarget): string {
  switch (target.kind) {
    case 'time-to-outcome':
    case 'incident-settle':
      return `${target.kind}-p${target.percentile}`;
    case 'longest-silence':
      return `longest-silence-p${target.percentile ?? 100}`;
    default:
      return target.kind;
  }
}

/** The default sentence for a target. */
export function describeXla(target: XlaTarget): string {
  if (target.description) return target.description;
  switch (target.kind) {
    case 'time-to-outcome':
      return `${target.percentile}% of journeys reach an outcome in under ${formatDuration(target.underMs)}`;
    case 'longest-silence':
      return (target.percentile ?? 100) === 100
        ? `Nobody waits ${formatDuration(target.underMs)} or longer without news`
        : `${target.percentile}% of journeys never wait ${formatDuration(target.underMs)} or longer without news`;
    case 'nps':
      return `NPS of at least ${target.atLeast}`;
    case 'came-back':
      return `At most ${target.atMostPercent}% of users have to come back`;
    case 'incident-settle':
      return `${target.percentile}% of incidents settle every affected user in under ${formatDuration(target.underMs)}`;
  }
}

function underStatus(measured: number, underMs: number): XlaStatus {
  if (measured >= underMs) return 'broken';
  return measured >= underMs * (1 - atRiskFraction) ? 'at-risk' : 'met';
}

/** Evaluates one target against a service's figures (undefined: nothing recorded for the service). */
export function evaluateXla(
  target: XlaTarget,
  service: ServiceExperience | undefined,
  id: string = xlaId(target),
): XlaEvaluation {
  const base = { id, target, description: describeXla(target) };
  const noData = (threshold: number, unit: XlaEvaluation['unit']): XlaEvaluation => ({
    ...base,
    status: 'no-data',
    measured: null,
    threshold,
    unit,
  });
  switch (target.kind) {
    case 'time-to-outcome':
    case 'longest-silence':
    case 'incident-settle': {
      const p = target.kind === 'longest-silence' ? (target.percentile ?? 100) : target.percentile;
      const d =
        target.kind === 'time-to-outcome'
          ? service?.journeys.timeToOutcomeMs
          : target.kind === 'longest-silence'
            ? service?.journeys.longestSilenceMs
            : service?.incidents.settleTimeMs;
      const measured = d ? percentileOf(d, p) : null;
      if (d && measured === undefined)
        throw new RangeError(`percentile ${p} was not computed: pass percentilesNeeded(targets) to the store`);
      if (measured === null || measured === undefined) return noData(target.underMs, 'ms');
      return {
        ...base,
        status: underStatus(measured, target.underMs),
        measured,
        threshold: target.underMs,
        unit: 'ms',
      };
    }
    case 'nps': {
      const score = service?.nps.overall.score ?? null;
      if (score === null) return noData(target.atLeast, 'nps');
      const status: XlaStatus =
        score < target.atLeast ? 'broken' : score < target.atLeast + npsAtRiskPoints ? 'at-risk' : 'met';
      return { ...base, status, measured: score, threshold: target.atLeast, unit: 'nps' };
    }
    case 'came-back': {
      const journeys = service?.journeys;
      if (!journeys || journeys.count === 0) return noData(target.atMostPercent, 'percent');
      const measured = (100 * journeys.cameBack) / journeys.count;
      const status: XlaStatus =
        measured > target.atMostPercent
          ? 'broken'
          : measured > target.atMostPercent * (1 - atRiskFraction)
            ? 'at-risk'
            : 'met';
      return { ...base, status, measured, threshold: target.atMostPercent, unit: 'percent' };
    }
  }
}

/** Every target of a service; ids made unique within the service (`nps`, `nps-2`). */
export function evaluateXlas(targets: readonly XlaTarget[], service: ServiceExperience | undefined): XlaEvaluation[] {
  const seen = new Map<string, number>();
  return targets.map((target) => {
    const id = xlaId(target);
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return evaluateXla(target, service, n === 1 ? id : `${id}-${n}`);
  });
}

const severity: Record<XlaStatus, number> = { 'no-data': 0, met: 1, 'at-risk': 2, broken: 3 };

/** The worst status among evaluations (broken > at-risk > met > no-data); null when there are none. */
export function overallXlaStatus(evaluations: readonly XlaEvaluation[]): XlaStatus | null {
  if (evaluations.length === 0) return null;
  return evaluations.reduce<XlaStatus>(
    (worst, e) => (severity[e.status] > severity[worst] ? e.status : worst),
    'no-data',
  );
}
