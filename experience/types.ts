/**
 * Experience metrics: what each journey and incident was like for the people in it, recorded by
 * the workflows themselves (through activities) and aggregated per service.
 *
 * Definitions used everywhere (store, report, Prometheus, export, page):
 * - **Percentiles are nearest-rank**: for n values sorted ascending v[1..n], the p-th percentile
 *   (p an integer 1–100) is v[⌈p·n/100⌉]. It is always one of the measured values (never
 *   interpolated): "p95 = 90 s" means 95 % of journeys took 90 s or less. No values → null.
 *   Computed in TypeScript with exact integer arithmetic; PostgreSQL's `percentile_disc` is the
 *   same definition but rounds p·n in floating point (see aggregate.ts).
 * - **NPS**: scores 9–10 are promoters, 7–8 passives, 0–6 detractors; score =
 *   100·(promoters − detractors)/responses, rounded to the nearest integer with halves away from
 *   zero (12.5 → 13, −12.5 → −13); null when nobody answered.
 * - **Time windows** are half-open `[from, to)`: journeys count by `finishedAt`, incidents by
 *   `declaredAt`, NPS answers by `at`. Days are UTC calendar days.
 */

/** One finished request-fulfilment journey. Natural key: `journeyId`. */
export interface JourneyRecord {
  /** The workflow id (the business key), also used for the link into the Temporal UI. */
  journeyId: string;
  /** Catalog service id, e.g. `expensatron`. */
  serviceId: string;
  /** accountName of the person who asked. */
  requester: string;
  /** How it ended: `completed`, `not-eligible`, `rejected`, `failed-compensated`, `cancelled`, … */
  outcome: string;
  /** ISO timestamp the request was made. */
  requestedAt: string;
  /** ISO timestamp the requester had their outcome. */
  finishedAt: string;
  /** Request to outcome, in ms (as the workflow measured it). */
  timeToOutcomeMs: number;
  /** Time spent in each stage (`approval`, `provisioning`, …), in ms, in journey order. */
  stageDurationsMs: Record<string, number>;
  /** How many times the user had to give something (form, approval answer, correction, …). */
  userInputs: number;
  /** How many times the user was told something (emails and SMS). */
  messagesSent: number;
  /**
   * Longest gap without news, in ms: between two messages to the user, from the request to the
   * first message, or from the last message to the outcome.
   */
  longestSilenceMs: number;
  /** The user had to come back: a device correction, "still broken", a second attempt. */
  cameBack: boolean;
  /** The requester's NPS answer (0–10) when they gave one during the journey. */
  nps: number | null;
  npsComment: string | null;
}

/** One incident as its subscribers lived it. Natural key: `incidentId`. */
export interface IncidentRecord {
  incidentId: string;
  /** The business service that was disrupted. */
  serviceId: string;
  /** ISO timestamp the incident was declared. */
  declaredAt: string;
  /** ISO timestamp of the first announcement to subscribers; null if none went out. */
  firstAnnouncementAt: string | null;
  timeToFirstAnnouncementMs: number | null;
  /** Subscribers who were told. */
  subscribersTold: number;
  /** Subscribers who answered "this affects me". */
  affected: number;
  /** Affected users who confirmed the fix worked for them. */
  confirmedFixed: number;
  /** Affected users who said it is still broken. */
  stillBroken: number;
  /** Affected users who never answered the "is it fixed for you?" question. */
  noAnswer: number;
  /** Affected users the service desk followed up with personally. */
  followedUp: number;
  /** ISO timestamp the last affected user was settled (confirmed, followed up, or timed out); null while open. */
  lastSettledAt: string | null;
  /** Declared → last affected user settled, in ms; null while someone is still unsettled. */
  settleTimeMs: number | null;
  /** How many times the incident was reopened (someone said it was still broken after the fix). */
  reopened: number;
}

/**
 * One person's NPS answer about a journey (`journeyId`) or an incident (`incidentId`): exactly one
 * of the two is set. Natural key: (journey or incident, id, user) — one answer per person per
 * journey or incident; answering again replaces the earlier answer (an answer with an older `at`
 * than the stored one is ignored, so a late retry cannot undo a newer answer).
 */
export interface NpsAnswer {
  journeyId?: string;
  incidentId?: string;
  /** Service the journey or incident belongs to (answers are aggregated per service). */
  serviceId: string;
  /** accountName of who answered. */
  user: string;
  /** 0–10 */
  score: number;
  comment: string | null;
  /** ISO timestamp of the answer. */
  at: string;
}

/** A half-open time range `[from, to)`. */
export interface TimeWindow {
  from: Date;
  to: Date;
}

/** One nearest-rank percentile of a {@link Distribution}. */
export interface PercentileValue {
  /** Integer 1–100. */
  percentile: number;
  /** null when there were no values. */
  value: number | null;
}

/** Summary of a set of measurements (ms or counts). */
export interface Distribution {
  count: number;
  min: number | null;
  max: number | null;
  /** Arithmetic mean, not rounded; null when count is 0. */
  mean: number | null;
  /** Nearest-rank percentiles ascending by percentile: always 50, 90, 95 and 99, plus any asked for. */
  percentiles: PercentileValue[];
}

export interface NpsSummary {
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** %promoters − %detractors, rounded half away from zero; null with no responses. */
  score: number | null;
}

export interface JourneyExperience {
  count: number;
  /** Journeys per outcome, keys sorted. */
  outcomes: Record<string, number>;
  /** Journeys where the user had to come back. */
  cameBack: number;
  timeToOutcomeMs: Distribution;
  longestSilenceMs: Distribution;
  userInputs: Distribution;
  messagesSent: Distribution;
  /** Per stage, over the journeys that went through it; keys sorted. */
  stagesMs: Record<string, Distribution>;
}

export interface IncidentExperience {
  count: number;
  subscribersTold: number;
  affected: number;
  confirmedFixed: number;
  stillBroken: number;
  noAnswer: number;
  followedUp: number;
  reopened: number;
  /** Incidents with affected users not all settled yet (settleTimeMs null). */
  unsettled: number;
  timeToFirstAnnouncementMs: Distribution;
  /** Declared → last affected user settled, over the settled incidents. */
  settleTimeMs: Distribution;
}

/** Everything measured for one service over a window. */
export interface ServiceExperience {
  serviceId: string;
  journeys: JourneyExperience;
  incidents: IncidentExperience;
  nps: {
    /** Journey and incident answers together. */
    overall: NpsSummary;
    journeys: NpsSummary;
    incidents: NpsSummary;
  };
}

/** One service on one UTC day (only days with something recorded appear). */
export interface DailyExperience {
  /** YYYY-MM-DD (UTC) */
  day: string;
  serviceId: string;
  journeys: number;
  timeToOutcomeMs: Distribution;
  longestSilenceMs: Distribution;
  nps: NpsSummary;
  incidents: number;
  settleTimeMs: Distribution;
}

/** A journey that stands out for the wrong reason, with the measured value. */
export interface WorstJourney {
  /** Workflow id: link it into the Temporal UI. */
  journeyId: string;
  serviceId: string;
  requester: string;
  /** null when the journey record is not (yet) stored, only its NPS answer. */
  outcome: string | null;
  /** ISO: finishedAt, or the answer time for NPS entries. */
  at: string;
  /** ms for time and silence lists, the score for the NPS list. */
  value: number;
  /** The NPS comment (NPS list only). */
  comment: string | null;
}

export interface WorstJourneys {
  /** Highest timeToOutcomeMs first. */
  longestTimeToOutcome: WorstJourney[];
  /** Detractors only (0–6), lowest score first. */
  lowestNps: WorstJourney[];
  /** Highest longestSilenceMs first. */
  longestSilence: WorstJourney[];
}

/** Summaries, daily series and worst journeys from one consistent read. */
export interface ExperienceOverview {
  services: ServiceExperience[];
  daily: DailyExperience[];
  worst: WorstJourneys;
}

export interface QueryOptions {
  /** Only this service (default: every service with data in the window). */
  serviceId?: string;
  /** Extra percentiles (integers 1–100) besides 50, 90, 95 and 99. */
  percentiles?: readonly number[];
  /** How many worst journeys per list (default 10). */
  limit?: number;
}

/**
 * Durable store of experience records plus the aggregates over them.
 *
 * Writes are upserts by natural key (journeyId, incidentId, NPS subject + user): recording the
 * same record again — a retried activity — changes nothing, and a newer record with the same key
 * replaces the older one, so nothing is ever counted twice. Writes may be retried safely.
 * Transient storage failures throw a retryable `IntegrationError` (`Unavailable`).
 *
 * The aggregates are computed by one TypeScript module (aggregate.ts) over the rows either
 * backend returns, so the embedded file store and PostgreSQL give identical figures.
 */
export interface ExperienceStore {
  /** Creates the tables / loads the file. Called at start to fail fast; every other method awaits it too. */
  ready(): Promise<void>;
  /**
   * Upserts by journeyId; a non-null `nps` is also recorded as the requester's NPS answer for the
   * journey (at `finishedAt`, so it never overrides an answer given later through recordNps).
   */
  recordJourney(record: JourneyRecord): Promise<void>;
  /** Upserts by incidentId. */
  recordIncident(record: IncidentRecord): Promise<void>;
  /** Upserts by (journey or incident, id, user); an answer older (`at`) than the stored one is ignored. */
  recordNps(answer: NpsAnswer): Promise<void>;
  /** The stored journey, with the requester's latest NPS answer for it; null if unknown. */
  journey(journeyId: string): Promise<JourneyRecord | null>;
  incident(incidentId: string): Promise<IncidentRecord | null>;
  /** Per-service figures, sorted by serviceId. */
  summarize(window: TimeWindow, options?: QueryOptions): Promise<ServiceExperience[]>;
  /** Per service per UTC day, sorted by day then serviceId. */
  daily(window: TimeWindow, options?: QueryOptions): Promise<DailyExperience[]>;
  worstJourneys(window: TimeWindow, options?: QueryOptions): Promise<WorstJourneys>;
  /** All three from one read. */
  overview(window: TimeWindow, options?: QueryOptions): Promise<ExperienceOverview>;
  close(): Promise<void>;
}

/**
 * An experience level agreement target, declared per service in its catalog module
 * (`xla: XlaTarget[]`). Status rules in xla.ts.
 */
export type XlaTarget =
  /** "p% of journeys reach their outcome in under `underMs`": the p-th percentile must be < underMs. */
  | { kind: 'time-to-outcome'; percentile: number; underMs: number; description?: string }
  /** "Nobody waits more than `underMs` without news": the p-th percentile (default 100 = the maximum) of longestSilenceMs < underMs. */
  | { kind: 'longest-silence'; underMs: number; percentile?: number; description?: string }
  /** NPS score (journeys and incidents of the service) ≥ atLeast. */
  | { kind: 'nps'; atLeast: number; description?: string }
  /** At most this percentage of journeys needed the user to come back. */
  | { kind: 'came-back'; atMostPercent: number; description?: string }
  /** The p-th percentile of incident settle times (declared → last affected user settled) < underMs. */
  | { kind: 'incident-settle'; percentile: number; underMs: number; description?: string };

export type XlaStatus = 'met' | 'at-risk' | 'broken' | 'no-data';

export interface XlaEvaluation {
  /** Stable within the service: `time-to-outcome-p95`, `nps`, … (metric label, CSV column). */
  id: string;
  target: XlaTarget;
  /** Human sentence, e.g. "95% of journeys reach an outcome in under 2 min". */
  description: string;
  status: XlaStatus;
  /** The measured value (ms, NPS points or percent); null with no data. */
  measured: number | null;
  /** The target's threshold in the same unit. */
  threshold: number;
  unit: 'ms' | 'nps' | 'percent';
}
