/**
 * The experience report as Prometheus text exposition: gauges over the report's window (they are
 * figures of a window, not counters since process start, so they can go down). Durations are in
 * seconds as Prometheus convention asks; percentiles use the `quantile` label like a summary.
 */
import { Gauge, Registry } from 'prom-client';
import type { ExperienceReport } from './report';
import type { Distribution, XlaStatus } from './types';

export interface PrometheusOptions {
  /** Metric name prefix (default `service_journeys_experience_`). */
  prefix?: string;
}

const statuses: readonly XlaStatus[] = ['met', 'at-risk', 'broken', 'no-data'];

/** `text/plain; version=0.0.4; charset=utf-8`, for the HTTP response. */
export const prometheusContentType = new Registry().contentType;

/** Renders every figure of the report; pure apart from building a private registry. */
export async function renderPrometheus(report: ExperienceReport, options: PrometheusOptions = {}): Promise<string> {
  const prefix = options.prefix ?? 'service_journeys_experience_';
  const registry = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> =>
    new Gauge<L>({ name: `${prefix}${name}`, help, labelNames, registers: [registry] });

  const windowSeconds = gauge('window_seconds', 'Length of the window these figures cover.', []);
  windowSeconds.set((Date.parse(report.window.to) - Date.parse(report.window.from)) / 1000);

  const journeys = gauge('journeys', 'Journeys that reached an outcome in the window.', ['service']);
  const byOutcome = gauge('journeys_by_outcome', 'Journeys per outcome in the window.', ['service', 'outcome']);
  const cameBack = gauge(
    'journeys_came_back',
    'Journeys where the user had to come back (device correction, still broken).',
    ['service'],
  );
  const timeToOutcome = gauge('time_to_outcome_seconds', 'Request to outcome, nearest-rank percentiles.', [
    'service',
    'quantile',
  ]);
  const silence = gauge(
    'longest_silence_seconds',
    'Longest time a user waited without news, nearest-rank percentiles per journey.',
    ['service', 'quantile'],
  );
  const silenceMax = gauge('longest_silence_max_seconds', 'The longest any user waited without news.', ['service']);
  const inputs = gauge('user_inputs_mean', 'Inputs the user had to give per journey, mean.', ['service']);
  const messages = gauge('messages_sent_mean', 'Messages the user received per journey, mean.', ['service']);
  const stage = gauge('stage_seconds', 'Time per journey stage, nearest-rank percentiles.', [
    'service',
    'stage',
    'quantile',
  ]);
  const npsScore = gauge('nps_score', 'NPS (%promoters − %detractors, rounded), journeys and incidents.', ['service']);
  const npsResponses = gauge('nps_responses', 'NPS answers per category.', ['service', 'category']);
  const incidents = gauge('incidents', 'Incidents declared in the window.', ['service']);
  const incidentUsers = gauge('incident_users', 'Subscribers of the window’s incidents by what happened to them.', [
    'service',
    'state',
  ]);
  const unsettled = gauge('incidents_unsettled', 'Incidents with affected users not yet settled.', ['service']);
  const reopened = gauge('incidents_reopened', 'Times incidents were reopened.', ['service']);
  const firstAnnouncement = gauge(
    'incident_first_announcement_seconds',
    'Declared to first announcement, nearest-rank percentiles.',
    ['service', 'quantile'],
  );
  const settle = gauge('incident_settle_seconds', 'Declared to last affected user settled, nearest-rank percentiles.', [
    'service',
    'quantile',
  ]);
  const xlaStatus = gauge(
    'xla_status',
    '1 for the current status of each experience level agreement target, 0 for the others.',
    ['service', 'xla', 'status'],
  );
  const xlaMeasured = gauge(
    'xla_measured',
    'Measured value of each XLA target (seconds, NPS points or percent, see unit).',
    ['service', 'xla', 'unit'],
  );
  const xlaThreshold = gauge('xla_threshold', 'Threshold of each XLA target (same unit as xla_measured).', [
    'service',
    'xla',
    'unit',
  ]);

  const quantiles = (g: Gauge<'service' | 'quantile'>, service: string, d: Distribution): void => {
    for (const { percentile, value } of d.percentiles) {
      if (value !== null) g.set({ service, quantile: String(percentile / 100) }, value / 1000);
    }
  };

  for (const s of report.services) {
    const service = s.serviceId;
    const f = s.figures;
    journeys.set({ service }, f.journeys.count);
    for (const [outcome, count] of Object.entries(f.journeys.outcomes)) byOutcome.set({ service, outcome }, count);
    cameBack.set({ service }, f.journeys.cameBack);
    quantiles(timeToOutcome, service, f.journeys.timeToOutcomeMs);
    quantiles(silence, service, f.journeys.longestSilenceMs);
    if (f.journeys.longestSilenceMs.max !== null) silenceMax.set({ service }, f.journeys.longestSilenceMs.max / 1000);
    if (f.journeys.userInputs.mean !== null) inputs.set({ service }, f.journeys.userInputs.mean);
    if (f.journeys.messagesSent.mean !== null) messages.set({ service }, f.journeys.messagesSent.mean);
    for (const [name, d] of Object.entries(f.journeys.stagesMs)) {
      for (const { percentile, value } of d.percentiles) {
        if (value !== null) stage.set({ service, stage: name, quantile: String(percentile / 100) }, value / 1000);
      }
    }
    if (f.nps.overall.score !== null) npsScore.set({ service }, f.nps.overall.score);
    npsResponses.set({ service, category: 'promoter' }, f.nps.overall.promoters);
    npsResponses.set({ service, category: 'passive' }, f.nps.overall.passives);
    npsResponses.set({ service, category: 'detractor' }, f.nps.overall.detractors);
    incidents.set({ service }, f.incidents.count);
    const i = f.incidents;
    const users: [string, number][] = [
      ['told', i.subscribersTold],
      ['affected', i.affected],
      ['confirmed_fixed', i.confirmedFixed],
      ['still_broken', i.stillBroken],
      ['no_answer', i.noAnswer],
      ['followed_up', i.followedUp],
    ];
    for (const [state, n] of users) incidentUsers.set({ service, state }, n);
    unsettled.set({ service }, i.unsettled);
    reopened.set({ service }, i.reopened);
    quantiles(firstAnnouncement, service, i.timeToFirstAnnouncementMs);
    quantiles(settle, service, i.settleTimeMs);
    for (const e of s.xla) {
      for (const status of statuses) xlaStatus.set({ service, xla: e.id, status }, e.status === status ? 1 : 0);
      const unit = e.unit === 'ms' ? 'seconds' : e.unit;
      const scale = e.unit === 'ms' ? 1 / 1000 : 1;
      xlaThreshold.set({ service, xla: e.id, unit }, e.threshold * scale);
      if (e.measured !== null) xlaMeasured.set({ service, xla: e.id, unit }, e.measured * scale);
    }
  }
  return registry.metrics();
}
