/**
 * What the experience page, the JSON/CSV exports and the Prometheus endpoint share: the query
 * (`days`, `service`) validated with zod, and one report built from the experience store with
 * the catalog's XLA targets. Every view renders the same {@link ExperienceReport}, so they agree.
 */
import { z } from 'zod';
import { renderDailyCsv, renderServicesCsv, renderWorstJourneysCsv, renderXlaCsv } from '../../experience/export';
import {
  buildExperienceReport,
  lastDays,
  type ExperienceReport,
  type ServiceXlaDefinition,
} from '../../experience/report';
import type { ExperienceStore } from '../../experience/types';

/** The windows people may choose, in days. */
export const experienceWindows = ['7', '30', '90'] as const;

/**
 * The query of every experience view. Unknown parameters are refused rather than ignored: a
 * typo such as `day=7` would otherwise quietly show 30 days.
 */
export const experienceQuerySchema = z.strictObject(
  {
    days: z
      .enum(experienceWindows, { error: 'days must be 7, 30 or 90' })
      .default('30')
      .transform(Number)
      .describe('The window: the last 7, 30 or 90 days (default 30)'),
    service: z
      .string({ error: 'service must be a service id' })
      .trim()
      .max(100, 'service must be at most 100 characters')
      .regex(/^[A-Za-z0-9_.:-]*$/, 'service must be a service id such as expensatron (letters, digits, _ . : -)')
      .optional()
      // The page's "All services" choice sends an empty value.
      .transform((v) => (v === '' ? undefined : v))
      .describe('Only this service (a catalog service id, or the CMDB id of an incident’s business service)'),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown parameter ${issue.keys.join(', ')}: only days and service are understood`
        : undefined,
  },
);
/** A validated query: the window in days and, optionally, one service. */
export interface ExperienceQuery {
  days: number;
  service?: string | undefined;
}
// The schema must keep producing what the views read.
experienceQuerySchema satisfies z.ZodType<ExperienceQuery, unknown>;

/** The CSV tables of the export, by the name in their URL. */
export const experienceCsvTables = {
  services: renderServicesCsv,
  xla: renderXlaCsv,
  daily: renderDailyCsv,
  worst: renderWorstJourneysCsv,
} as const satisfies Record<string, (report: ExperienceReport) => string>;
export type ExperienceCsvTable = keyof typeof experienceCsvTables;

/** Narrows a URL segment to a table name (unknown names are a 404 for the caller). */
export function isExperienceCsvTable(name: string): name is ExperienceCsvTable {
  return Object.hasOwn(experienceCsvTables, name);
}

/** What reports are built over. */
export interface ExperienceReportsDeps {
  store: ExperienceStore;
  /** The catalog's services and their targets (CatalogPort.xlaDefinitions). */
  definitions: () => readonly ServiceXlaDefinition[];
  /**
   * The display name of a service the catalog does not know (an incident's business service in
   * the CMDB, e.g. `crm` → "CRM"); null when unknown. Best-effort: a slow or failing look-up
   * leaves the id as the name, it never fails the report.
   */
  serviceName?: (serviceId: string) => Promise<string | null>;
  /** For tests; default the wall clock. */
  now?: () => Date;
}

/** How long the report waits for a service name before it shows the id. */
const nameLookupMs = 1000;

/** Builds reports for a query. */
export interface ExperienceReports {
  /** Read-only; a storage outage throws the store's retryable IntegrationError (answered 503). */
  report(query: ExperienceQuery): Promise<ExperienceReport>;
}

/**
 * The store narrowed to one service: the report module reads the whole window, so the service
 * filter goes into the store's own query — the worst-journey lists then rank that service's
 * journeys only, instead of being cut from the top of every service's.
 */
function onlyService(store: ExperienceStore, serviceId: string): ExperienceStore {
  return {
    ...store,
    summarize: (window, options) => store.summarize(window, { ...options, serviceId }),
    daily: (window, options) => store.daily(window, { ...options, serviceId }),
    worstJourneys: (window, options) => store.worstJourneys(window, { ...options, serviceId }),
    overview: (window, options) => store.overview(window, { ...options, serviceId }),
  };
}

/** The report builder over the store and the catalog. */
export function createExperienceReports(deps: ExperienceReportsDeps): ExperienceReports {
  const now = deps.now ?? (() => new Date());
  // Names of business services change rarely; only found names are kept.
  const names = new Map<string, string>();

  async function nameOf(serviceId: string): Promise<string | null> {
    const known = names.get(serviceId);
    if (known !== undefined || !deps.serviceName) return known ?? null;
    let timer: NodeJS.Timeout | undefined;
    const name = await Promise.race([
      deps.serviceName(serviceId).catch(() => null),
      new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), nameLookupMs))),
    ]).finally(() => clearTimeout(timer));
    if (name) names.set(serviceId, name);
    return name;
  }

  return {
    async report(query) {
      const at = now();
      const all = deps.definitions();
      const services = query.service === undefined ? all : all.filter((d) => d.serviceId === query.service);
      const store = query.service === undefined ? deps.store : onlyService(deps.store, query.service);
      const report = await buildExperienceReport(store, { window: lastDays(query.days, at), services, now: at });
      const catalogIds = new Set(all.map((d) => d.serviceId));
      const named = await Promise.all(
        report.services.map(async (service) =>
          catalogIds.has(service.serviceId)
            ? service
            : { ...service, name: (await nameOf(service.serviceId)) ?? service.name },
        ),
      );
      return {
        ...report,
        services: named.sort((a, b) => a.name.localeCompare(b.name, 'en') || (a.serviceId < b.serviceId ? -1 : 1)),
      };
    },
  };
}

/** A file name for a download, e.g. `experience-services-30d-expensatron.csv`. */
export function exportFileName(kind: string, query: ExperienceQuery, extension: 'csv' | 'json'): string {
  return `experience-${kind}-${query.days}d${query.service ? `-${query.service.replace(/[^A-Za-z0-9_-]/g, '_')}` : ''}.${extension}`;
}
