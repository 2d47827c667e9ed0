/**
 * The experience report: one plain object with everything the page, the Prometheus endpoint and
 * the JSON/CSV export show, so the three can never disagree. Built from one read of the store.
 */
import { emptyServiceExperience, percentileSet } from './aggregate';
import type {
  DailyExperience,
  ExperienceStore,
  ServiceExperience,
  TimeWindow,
  WorstJourneys,
  XlaEvaluation,
  XlaStatus,
  XlaTarget,
} from './types';
import { evaluateXlas, overallXlaStatus, percentilesNeeded } from './xla';

/** What the catalog knows about a service: its name and experience targets. */
export interface ServiceXlaDefinition {
  serviceId: string;
  /** Display name; defaults to the id. */
  name?: string;
  xla: readonly XlaTarget[];
}

export interface ServiceReport {
  serviceId: string;
  name: string;
  figures: ServiceExperience;
  xla: XlaEvaluation[];
  /** Worst status of its targets; null when the service has none. */
  xlaStatus: XlaStatus | null;
}

export interface ExperienceReport {
  /** ISO */
  generatedAt: string;
  window: { from: string; to: string };
  /** The percentiles every distribution in the report carries, ascending. */
  percentiles: number[];
  /** Every service with targets or data, sorted by name. */
  services: ServiceReport[];
  daily: DailyExperience[];
  worst: WorstJourneys;
}

export interface BuildReportOptions {
  window: TimeWindow;
  /** Catalog services and their XLA targets; services with data but no entry still appear. */
  services?: readonly ServiceXlaDefinition[];
  /** Worst journeys per list (default 10). */
  limit?: number;
  /** For tests; default now. */
  now?: Date;
}

/** The window of the last `days` days ending at `now`. */
export function lastDays(days: number, now: Date = new Date()): TimeWindow {
  return { from: new Date(now.getTime() - days * 86_400_000), to: now };
}

/**
 * Reads the window once and evaluates every service's XLA targets. Read-only; storage failures
 * surface as the store's IntegrationError.
 */
export async function buildExperienceReport(
  store: ExperienceStore,
  options: BuildReportOptions,
): Promise<ExperienceReport> {
  const definitions = options.services ?? [];
  const percentiles = percentileSet(definitions.flatMap((d) => percentilesNeeded(d.xla)));
  const overview = await store.overview(options.window, {
    percentiles,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  });
  const figuresById = new Map(overview.services.map((s) => [s.serviceId, s]));
  const definitionById = new Map(definitions.map((d) => [d.serviceId, d]));
  const ids = [...new Set([...definitions.map((d) => d.serviceId), ...overview.services.map((s) => s.serviceId)])];
  const services = ids.map((serviceId): ServiceReport => {
    const definition = definitionById.get(serviceId);
    const figures = figuresById.get(serviceId);
    const xla = evaluateXlas(definition?.xla ?? [], figures);
    return {
      serviceId,
      name: definition?.name ?? serviceId,
      figures: figures ?? emptyServiceExperience(serviceId, { percentiles }),
      xla,
      xlaStatus: overallXlaStatus(xla),
    };
  });
  services.sort((a, b) => a.name.localeCompare(b.name, 'en') || (a.serviceId < b.serviceId ? -1 : 1));
  return {
    generatedAt: (options.now ?? new Date()).toISOString(),
    window: { from: options.window.from.toISOString(), to: options.window.to.toISOString() },
    percentiles,
    services,
    daily: overview.daily,
    worst: overview.worst,
  };
}
