/**
 * The incident journey's contract: inputs and results, messages (updates, queries, signals),
 * workflow ids and type names, start options and the shard routing hash.
 *
 * The API imports this file (never workflow.ts): it starts `incidentWorkflow` by type name, reads
 * the banner with {@link incidentStatusQuery}, and sends each person's clicks to *their* shard
 * ({@link shardWorkflowIdForUser}) with {@link affectedUpdate}, {@link confirmUpdate} and
 * {@link npsUpdate}. Everything here is plain TypeScript: no zod, no Node built-ins, so the
 * workflow bundle stays small (each cached workflow gets its own copy of every module it imports).
 */
import { ApplicationFailure, defineQuery, defineUpdate } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { IncidentResumeState } from './protocol';
import { IncidentId, JourneyKind, Outcome, Requester, ServiceId, Stage } from '../shared/search-attributes';
import { eventRoutesProblems, type EventRoute } from '../shared/event-types';

// ---------------------------------------------------------------------------------------------
// Type names and ids
// ---------------------------------------------------------------------------------------------

/** Workflow type names (the exported function names; never rename with incidents in flight). */
export const incidentWorkflowType = 'incidentWorkflow';
export const incidentShardWorkflowType = 'incidentShardWorkflow';
export const incidentWorkaroundSmsWorkflowType = 'incidentWorkaroundSmsWorkflow';

/** Incident ids: letters, digits and `_ . : -`; they become part of workflow ids and URLs. */
export const incidentIdPattern = /^[A-Za-z0-9_.:-]{1,80}$/;

/** The incident workflow's id: the business key, `incident-<incidentId>`. */
export function incidentWorkflowId(incidentId: string): string {
  return `incident-${incidentId}`;
}

/** A shard's workflow id, stable across its continue-as-new runs: `incident-<id>-shard-<n>`. */
export function incidentShardWorkflowId(incidentId: string, shard: number): string {
  return `incident-${incidentId}-shard-${shard}`;
}

/** The workaround SMS for one person: one workflow id per incident and person. */
export function incidentWorkaroundSmsWorkflowId(incidentId: string, accountName: string): string {
  return `incident-${incidentId}-workaround-sms-${accountName}`;
}

/**
 * A suggested incident id: `<serviceId>-<yyyymmdd>-<suffix>` (the caller supplies the suffix,
 * e.g. a few random characters or an idempotency key's hash).
 */
export function newIncidentId(serviceId: string, at: Date, suffix: string): string {
  const day = at.toISOString().slice(0, 10).replaceAll('-', '');
  return `${serviceId}-${day}-${suffix}`.replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 80);
}

/**
 * 32-bit FNV-1a over the UTF-16 code units of the lower-cased account name. Pure and
 * deterministic in every JavaScript runtime (workflow sandbox, API, activities), which is all
 * routing needs; it is not a security measure.
 */
export function accountHash(accountName: string): number {
  const s = accountName.toLowerCase();
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The shard (0 … shardCount-1) that holds this person's state for an incident. */
export function shardOf(accountName: string, shardCount: number): number {
  if (!Number.isInteger(shardCount) || shardCount < 1) throw new RangeError('shardCount must be a positive integer');
  return accountHash(accountName) % shardCount;
}

/** The workflow id to send this person's "affects me" / confirm / NPS update to. */
export function shardWorkflowIdForUser(incidentId: string, accountName: string, shardCount: number): string {
  return incidentShardWorkflowId(incidentId, shardOf(accountName, shardCount));
}

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

export type IncidentDeviceOs = 'ios' | 'android';

/** What affected people can do meanwhile, e.g. "The mobile CRM app works". */
export interface IncidentWorkaround {
  text: string;
  /** Download link per mobile OS, texted on request to the person's registered phone. */
  links?: Partial<Record<IncidentDeviceOs, string>>;
}

/** Waits, in seconds (hours in production, seconds in tests). */
export interface IncidentTimings {
  /** After a resolution, how long to wait for answers before the service desk follows up. */
  followUpAfterSeconds: number;
  /**
   * After a resolution, when the incident closes at the latest; followed-up people can still
   * answer until then. Must be at least `followUpAfterSeconds`.
   */
  finalDeadlineSeconds: number;
  /** How long confirmation links stay valid after they were sent. */
  linkValidSeconds: number;
  /** How often at most a shard reports changed counts to the incident. */
  reportIntervalSeconds: number;
  /** After closing, how long shards stay to answer late clicks with a clear "closed". */
  lingerAfterCloseSeconds: number;
}

/** Sizes that keep every history and payload bounded (see workflows/incident/README.md). */
export interface IncidentScale {
  /** Shards holding the affected people's state; fixed for the life of the incident. */
  shardCount: number;
  /** Subscribers read from the CMDB per page. */
  pageSize: number;
  /** Pages one notification activity works through before returning (bounds its duration). */
  pagesPerActivity: number;
  /** Messages in flight at once within a notification activity. */
  sendConcurrency: number;
  /** Provider rate limits (per notification activity); omitted = only the providers' 429s pace us. */
  emailsPerSecond?: number;
  smsPerSecond?: number;
  /** A run continues as new after this many history events (or when the server suggests it). */
  continueAsNewAfterEvents: number;
  /** A shard run continues as new after this many updates (the server allows 2,000 per run). */
  continueAsNewAfterUpdates: number;
  /** People one shard holds at most (keeps its state well under the 2 MB payload limit). */
  maxPeoplePerShard: number;
  /** People per notification activity a shard schedules. */
  peoplePerActivity: number;
}

/** When "still broken" answers re-open the incident (either condition suffices). */
export interface ReopenPolicy {
  /** Re-open when more than this many affected people say "still broken" in the phase. */
  stillBrokenAbove: number;
  /** Re-open when more than this share (0–1) of the affected people say "still broken". */
  stillBrokenShareAbove: number;
  /** Phases at most (1 = never re-open). */
  maxPhases: number;
}

/** Starts an incident. One object, so fields can be added without breaking running incidents. */
export interface IncidentInput {
  incidentId: string;
  /** The CMDB business service, e.g. `crm`. */
  serviceId: string;
  /** Short title, e.g. "CRM web app down". */
  title: string;
  /** What users see on the banner and in the first email, in plain words. */
  message: string;
  workaround?: IncidentWorkaround | null;
  /** accountName of the IT staff member who declared it. */
  declaredBy: string;
  timings?: Partial<IncidentTimings>;
  scale?: Partial<IncidentScale>;
  reopen?: Partial<ReopenPolicy>;
  /** Tests and demos: first retry interval of activities, in ms, so failures take seconds. */
  retryInitialIntervalMs?: number;
  /** Webhook subscriptions told about this journey (the API sets it from WEBHOOKS; workflows/shared/events.ts). */
  events?: EventRoute[];
  /** Set by the workflow itself when it continues as new; never by callers. */
  resume?: IncidentResumeState;
}

export const defaultTimings: IncidentTimings = {
  followUpAfterSeconds: 4 * 3600,
  finalDeadlineSeconds: 3 * 24 * 3600,
  linkValidSeconds: 14 * 24 * 3600,
  reportIntervalSeconds: 5,
  lingerAfterCloseSeconds: 7 * 24 * 3600,
};

export const defaultScale: IncidentScale = {
  shardCount: 16,
  pageSize: 500,
  pagesPerActivity: 20,
  sendConcurrency: 16,
  continueAsNewAfterEvents: 4000,
  continueAsNewAfterUpdates: 1000,
  maxPeoplePerShard: 10_000,
  peoplePerActivity: 200,
};

export const defaultReopen: ReopenPolicy = { stillBrokenAbove: 10, stillBrokenShareAbove: 0.25, maxPhases: 3 };

/** Input with every default filled in. */
export interface IncidentSettings {
  timings: IncidentTimings;
  scale: IncidentScale;
  reopen: ReopenPolicy;
}

const bounded = (n: unknown, min: number, max: number): n is number =>
  typeof n === 'number' && Number.isFinite(n) && n >= min && n <= max;

/**
 * What is wrong with an input, as readable sentences (empty = fine). The API calls this before
 * starting; the workflow calls it again and fails with `InvalidIncidentInput` if needed.
 */
export function incidentInputProblems(input: IncidentInput): string[] {
  const problems: string[] = [];
  if (typeof input.incidentId !== 'string' || !incidentIdPattern.test(input.incidentId))
    problems.push('incidentId: 1–80 letters, digits or _ . : -');
  if (typeof input.serviceId !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(input.serviceId))
    problems.push('serviceId: a CMDB service id');
  if (typeof input.title !== 'string' || input.title.trim().length < 3 || input.title.length > 200)
    problems.push('title: 3–200 characters');
  if (typeof input.message !== 'string' || input.message.trim().length < 3 || input.message.length > 2000)
    problems.push('message: 3–2000 characters');
  if (typeof input.declaredBy !== 'string' || !accountNamePattern.test(input.declaredBy))
    problems.push('declaredBy: an account name');
  const w = input.workaround;
  if (w !== undefined && w !== null) {
    if (typeof w.text !== 'string' || w.text.trim().length < 1 || w.text.length > 1000)
      problems.push('workaround.text: 1–1000 characters');
    for (const [os, link] of Object.entries(w.links ?? {})) {
      if (os !== 'ios' && os !== 'android') problems.push(`workaround.links.${os}: only ios and android`);
      else if (typeof link !== 'string' || !/^https?:\/\/\S{1,500}$/.test(link))
        problems.push(`workaround.links.${os}: an http(s) URL`);
    }
  }
  const s = settingsOf(input);
  const t = s.timings;
  for (const [k, v] of Object.entries(t))
    if (!bounded(v, 0, 365 * 24 * 3600)) problems.push(`timings.${k}: seconds, 0 to one year`);
  if (t.finalDeadlineSeconds < t.followUpAfterSeconds)
    problems.push('timings.finalDeadlineSeconds: must not be before followUpAfterSeconds');
  const c = s.scale;
  const ints: [keyof IncidentScale, number, number][] = [
    ['shardCount', 1, 256],
    ['pageSize', 1, 1000],
    ['pagesPerActivity', 1, 1000],
    ['sendConcurrency', 1, 256],
    ['continueAsNewAfterEvents', 200, 40_000],
    ['continueAsNewAfterUpdates', 10, 1900],
    ['maxPeoplePerShard', 1, 20_000],
    ['peoplePerActivity', 1, 1000],
  ];
  for (const [k, min, max] of ints)
    if (!Number.isInteger(c[k]) || !bounded(c[k], min, max))
      problems.push(`scale.${k}: a whole number from ${min} to ${max}`);
  for (const k of ['emailsPerSecond', 'smsPerSecond'] as const)
    if (c[k] !== undefined && !bounded(c[k], 0.01, 100_000)) problems.push(`scale.${k}: a positive rate`);
  const r = s.reopen;
  if (!Number.isInteger(r.stillBrokenAbove) || r.stillBrokenAbove < 0)
    problems.push('reopen.stillBrokenAbove: a whole number ≥ 0');
  if (!bounded(r.stillBrokenShareAbove, 0, 1)) problems.push('reopen.stillBrokenShareAbove: a share from 0 to 1');
  if (!Number.isInteger(r.maxPhases) || !bounded(r.maxPhases, 1, 20)) problems.push('reopen.maxPhases: 1 to 20');
  problems.push(...eventRoutesProblems(input.events));
  return problems;
}

/** The input's settings with defaults filled in. */
export function settingsOf(input: IncidentInput): IncidentSettings {
  return {
    timings: { ...defaultTimings, ...input.timings },
    scale: { ...defaultScale, ...input.scale },
    reopen: { ...defaultReopen, ...input.reopen },
  };
}

// ---------------------------------------------------------------------------------------------
// State the portal and the IT console read
// ---------------------------------------------------------------------------------------------

/** open → resolved → following-up → closed (a re-open goes back to open with phase + 1). */
export type IncidentStatusName = 'open' | 'resolved' | 'following-up' | 'closed';

export interface IncidentNote {
  /** 1, 2, … in the order IT posted them. */
  seq: number;
  at: string;
  by: string;
  text: string;
  /** The affected people were emailed this note. */
  notifiedAffected: boolean;
}

export interface NpsSummary {
  responses: number;
  /** Sum of scores (average = sum / responses). */
  sum: number;
  promoters: number;
  passives: number;
  detractors: number;
}

/** NPS summary with the derived figures. */
export interface NpsView extends NpsSummary {
  /** Average score 0–10, null without responses. */
  average: number | null;
  /** Net Promoter Score, -100 … 100 (% promoters − % detractors), null without responses. */
  score: number | null;
}

/** Counts over the affected people (summed over shards). */
export interface AffectedCounts {
  /** People on the affected list. */
  affected: number;
  /** Answered "fixed" (in any phase: they are settled). */
  confirmedFixed: number;
  /** Answered "still broken" in the current phase. */
  stillBroken: number;
  /** Neither "fixed" nor "still broken" in the current phase. */
  noAnswer: number;
  /** Followed up by the service desk in the current phase. */
  followedUp: number;
  nps: NpsSummary;
}

/** How one notification pass over all subscribers went. */
export interface NotificationCounts {
  subscribers: number;
  emailsSent: number;
  smsSent: number;
  /** Messages a retry found already sent (the ledger), not sent again. */
  alreadySent: number;
  /** Recipients a provider refused for good (invalid address, opted out). */
  failed: number;
}

export type NotificationKind = 'declared' | 'resolved' | 'reopened';

export interface NotificationPass {
  kind: NotificationKind;
  phase: number;
  startedAt: string;
  finishedAt: string | null;
  counts: NotificationCounts;
}

export interface PhaseRecord {
  phase: number;
  openedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
  followedUpAt: string | null;
  /** Why the next phase started (re-open), null if it did not. */
  reopenReason: string | null;
}

/** What {@link incidentStatusQuery} answers: everything the banner and the IT console show. */
export interface IncidentStatus {
  incidentId: string;
  workflowId: string;
  serviceId: string;
  serviceName: string;
  title: string;
  message: string;
  workaround: IncidentWorkaround | null;
  status: IncidentStatusName;
  phase: number;
  declaredBy: string;
  declaredAt: string;
  /** The latest progress notes, oldest first (the last 20). */
  notes: IncidentNote[];
  latestNote: IncidentNote | null;
  phases: PhaseRecord[];
  /** Every subscriber of the service (from the declaration's notification pass; null until done). */
  subscribers: number | null;
  /** Notification passes of the incident, newest last (the last 10). */
  notifications: NotificationPass[];
  /** A pass still under way, null otherwise. */
  notifying: NotificationPass | null;
  counts: AffectedCounts;
  npsView: NpsView;
  shardCount: number;
  /** Shards that have not reported yet (counts may be low until they do). */
  shardsNotReported: number;
  closedAt: string | null;
  closeReason: CloseReason | null;
}

export type CloseReason = 'all-confirmed' | 'deadline-passed';

/** What the incident workflow returns when it closes (bounded: counts, plus where the per-person record is). */
export interface IncidentResult {
  incidentId: string;
  serviceId: string;
  title: string;
  phases: PhaseRecord[];
  declaredAt: string;
  closedAt: string;
  closeReason: CloseReason;
  subscribers: number | null;
  notifications: NotificationPass[];
  /** Final counts over all shards. */
  counts: AffectedCounts;
  /** How every affected person left the incident (summed over shards). */
  outcomes: OutcomeCounts;
  npsView: NpsView;
  /** Per shard: its workflow id (query it, or read its result, for the per-person record) and counts. */
  shards: { shard: number; workflowId: string; outcomes: OutcomeCounts; affected: number }[];
}

/** How an affected person left the incident. */
export type PersonOutcome = 'confirmed' | 'followed-up' | 'deadline-passed';
export type OutcomeCounts = Record<PersonOutcome, number>;

// ---------------------------------------------------------------------------------------------
// Messages to the incident workflow (IT staff)
// ---------------------------------------------------------------------------------------------

const accountNamePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function invalid(message: string): never {
  throw ApplicationFailure.create({ type: 'InvalidInput', message, nonRetryable: true });
}

function checkText(value: unknown, field: string, min: number, max: number): void {
  if (typeof value !== 'string' || value.trim().length < min || value.length > max)
    invalid(`${field}: ${min}–${max} characters`);
}

function checkAccount(value: unknown, field = 'accountName'): void {
  if (typeof value !== 'string' || !accountNamePattern.test(value)) invalid(`${field}: a lower-case account name`);
}

export interface ProgressInput {
  text: string;
  /** Also email the note to everyone on the affected list. */
  notifyAffected: boolean;
  /** accountName of the IT staff member. */
  by: string;
}
export type ProgressResult = { status: 'posted'; note: IncidentNote } | { status: 'closed' };

/** IT posts a progress note: the banner shows it; optionally the affected people are emailed. */
export const progressUpdate = defineUpdate<ProgressResult, [ProgressInput]>('progress');
export function validateProgress(input: ProgressInput): void {
  checkText(input?.text, 'text', 3, 2000);
  checkAccount(input.by, 'by');
  if (typeof input.notifyAffected !== 'boolean') invalid('notifyAffected: true or false');
}

export interface ResolveInput {
  note: string;
  by: string;
}
export type ResolveResult =
  | { status: 'resolved'; phase: number }
  /** Already resolved (or following up): nothing changed. */
  | { status: 'not-open'; incidentStatus: IncidentStatusName };

/** IT marks the incident resolved: everyone is told, the affected people are asked to confirm. */
export const resolveUpdate = defineUpdate<ResolveResult, [ResolveInput]>('resolve');
export function validateResolve(input: ResolveInput): void {
  checkText(input?.note, 'note', 3, 2000);
  checkAccount(input.by, 'by');
}

/** The banner and the IT console. */
export const incidentStatusQuery = defineQuery<IncidentStatus>('status');

// ---------------------------------------------------------------------------------------------
// Messages to a shard (one person's clicks), routed with shardWorkflowIdForUser
// ---------------------------------------------------------------------------------------------

export interface AffectedInput {
  accountName: string;
}

/** How a workaround SMS went; `to` is masked (`+44…0123`). */
export type WorkaroundSmsOutcome =
  | { status: 'sent'; to: string; os: IncidentDeviceOs; alreadySent: boolean }
  | { status: 'no-device' }
  | { status: 'no-link-for-device'; os: IncidentDeviceOs }
  | { status: 'no-workaround' }
  | { status: 'failed'; message: string };

/** Texts the workaround's download link to one person (see {@link workaroundSmsStartOptions}). */
export interface WorkaroundSmsInput {
  /** From the incident's status: id, service, title and the workaround with its links. */
  incident: IncidentContent;
  accountName: string;
  retryInitialIntervalMs?: number;
}

/**
 * Options for `client.workflow.execute('incidentWorkaroundSmsWorkflow', …)` after "This affects
 * me" when the person asks for the download link by SMS. The result is a
 * {@link WorkaroundSmsOutcome}. Safe to repeat: a click while one is running joins it
 * (`USE_EXISTING`); a later one finds the SMS in the send ledger and answers `alreadySent`.
 */
export function workaroundSmsStartOptions(incident: IncidentContent, accountName: string, taskQueue: string) {
  return {
    workflowId: incidentWorkaroundSmsWorkflowId(incident.incidentId, accountName),
    taskQueue,
    args: [{ incident, accountName }] as [WorkaroundSmsInput],
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    staticSummary: `Workaround download link by SMS to ${accountName} (${incident.serviceId} incident ${incident.incidentId})`,
    typedSearchAttributes: [
      { key: JourneyKind, value: 'incident-sms' },
      { key: ServiceId, value: incident.serviceId },
      { key: IncidentId, value: incident.incidentId },
      { key: Requester, value: accountName },
    ] as SearchAttributePair[],
  };
}

export type AffectedResult =
  | { status: 'recorded' | 'already-recorded'; affected: number }
  /** The incident is resolved: the person answers with the confirmation link instead. */
  | { status: 'not-open'; incidentStatus: IncidentStatusName }
  | { status: 'closed' }
  /** The shard is full (see scale.maxPeoplePerShard): the person should call the service desk. */
  | { status: 'shard-full' };

/** "This affects me" (idempotent: a second click changes nothing). */
export const affectedUpdate = defineUpdate<AffectedResult, [AffectedInput]>('affected');
export function validateAffected(input: AffectedInput): void {
  checkAccount(input?.accountName);
}

export type ConfirmAnswer = 'fixed' | 'still-broken';

export interface ConfirmInput {
  /** From a verified link token (the portal checks it with activities/links.ts verifyLinkToken). */
  accountName: string;
  answer: ConfirmAnswer;
  /** NPS 0–10 may come with a "fixed" answer, or later with {@link npsUpdate}. */
  score?: number;
  comment?: string;
}

export type ConfirmResult =
  | { status: 'recorded' | 'already-recorded'; answer: ConfirmAnswer; phase: number }
  /** The person is not on the affected list of this incident. */
  | { status: 'not-affected' }
  /** Not resolved yet (e.g. re-opened): IT is still working on it. */
  | { status: 'not-resolved'; incidentStatus: IncidentStatusName }
  | { status: 'closed' };

/** "Fixed" / "still broken" from the confirmation link. Answering again replaces the answer. */
export const confirmUpdate = defineUpdate<ConfirmResult, [ConfirmInput]>('confirm');
export function validateConfirm(input: ConfirmInput): void {
  checkAccount(input?.accountName);
  if (input.answer !== 'fixed' && input.answer !== 'still-broken') invalid('answer: fixed or still-broken');
  if (input.score !== undefined) {
    if (input.answer !== 'fixed') invalid('score: only with the answer fixed');
    checkScore(input.score);
  }
  if (input.comment !== undefined) checkText(input.comment, 'comment', 0, maxCommentLength);
}

/** Comments are kept in the shard's state: long enough for a sentence or two, bounded for its size. */
export const maxCommentLength = 500;

function checkScore(score: unknown): void {
  if (typeof score !== 'number' || !Number.isInteger(score) || score < 0 || score > 10)
    invalid('score: a whole number from 0 to 10');
}

export interface NpsInput {
  accountName: string;
  score: number;
  comment?: string | null;
}
export type NpsResult =
  | { status: 'recorded'; score: number }
  /** NPS follows a "fixed" answer: the person has not given one. */
  | { status: 'not-confirmed' }
  | { status: 'closed' };

/** "0–10, how satisfied are you with the support?" after a "fixed" answer (a new answer replaces the old). */
export const npsUpdate = defineUpdate<NpsResult, [NpsInput]>('nps');
export function validateNps(input: NpsInput): void {
  checkAccount(input?.accountName);
  checkScore(input.score);
  if (input.comment !== undefined && input.comment !== null) checkText(input.comment, 'comment', 0, maxCommentLength);
}

/** One person's state in an incident, for the portal ("you are on the list", "thanks for answering"). */
export interface PersonState {
  accountName: string;
  /** The phase in which they said it affects them. */
  affectedInPhase: number;
  answer: ConfirmAnswer | null;
  answeredInPhase: number | null;
  score: number | null;
  followedUpInPhase: number | null;
  /** Set when the incident closed. */
  outcome: PersonOutcome | null;
}

/** One person's state, or null when they are not on this shard's affected list. */
export const personQuery = defineQuery<PersonState | null, [string]>('person');

export interface ShardStatus {
  incidentId: string;
  shard: number;
  status: IncidentStatusName;
  phase: number;
  counts: AffectedCounts;
  outcomes: OutcomeCounts | null;
  runUpdates: number;
}
export const shardStatusQuery = defineQuery<ShardStatus>('shardStatus');

export interface FollowUpRow {
  accountName: string;
  reason: 'still-broken' | 'no-answer';
}
export interface FollowUpPage {
  total: number;
  rows: FollowUpRow[];
}
/** The people this shard followed up in a phase, a page at a time (sorted by accountName). */
export const followUpListQuery = defineQuery<FollowUpPage, [{ phase: number; offset: number; limit: number }]>(
  'followUpList',
);

/** The per-person record, a page at a time (sorted by accountName). */
export const peopleQuery = defineQuery<{ total: number; people: PersonState[] }, [{ offset: number; limit: number }]>(
  'people',
);

/** What a shard needs to word its messages (and the workaround SMS). */
export interface IncidentContent {
  incidentId: string;
  serviceId: string;
  serviceName: string;
  title: string;
  message: string;
  workaround: IncidentWorkaround | null;
}

/**
 * Patch id (`patched()`) of the change that made incidents record their experience figures
 * (time to announce, to fix, to confirm, and NPS). Incidents and shards that started before it replay without the
 * recording activities (their histories are kept in test/histories/); new runs record. Remove
 * the branch with `deprecatePatch` once no incident from before it is running or replayed.
 */
export const incidentExperiencePatch = 'record-incident-experience';

/**
 * Patch id of the change that bounds a shard's report (the scale test found a shard history of 664
 * events against a continue-as-new threshold of 300). A report used to write NPS answers to the
 * experience store until none were pending, so answers arriving while the write ran kept the
 * shard inside that one report, neither reporting its counts nor continuing as new, for as long
 * as people kept answering. A report now writes only the answers pending when it began; later
 * ones stay pending, keep the shard dirty, and go with the next report (at most
 * `reportIntervalSeconds` later). The last report before a continue-as-new sends only the
 * counts; unwritten answers travel in the state and the next run writes them first. And a click
 * that lands during that last report is no longer left unreported until the next change (the
 * next run started clean, so the incident could show one person too few for good). Shards that
 * started before it replay the old loop (test/histories/incidentShardWorkflow/*-before-nps-report-bound.json).
 */
export const shardNpsReportBoundPatch = 'shard-nps-report-bound';

// ---------------------------------------------------------------------------------------------
// Start options
// ---------------------------------------------------------------------------------------------

/** Search attributes of the incident and its shards (registered by the dev server start-up). */
export function incidentSearchAttributes(
  input: Pick<IncidentInput, 'incidentId' | 'serviceId'>,
  kind: 'incident' | 'incident-shard',
  stage: IncidentStatusName,
  outcome?: string,
): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: JourneyKind, value: kind },
    { key: ServiceId, value: input.serviceId },
    { key: IncidentId, value: input.incidentId },
    { key: Stage, value: stage },
  ];
  if (outcome) pairs.push({ key: Outcome, value: outcome });
  return pairs;
}

/** One line for the Temporal UI, e.g. `crm incident: CRM web app down — declared by ivy`. */
export function incidentStaticSummary(
  input: Pick<IncidentInput, 'serviceId' | 'title' | 'declaredBy'>,
  subscribers?: number,
): string {
  const who = subscribers === undefined ? `declared by ${input.declaredBy}` : `${subscribers} subscribers`;
  return `${input.serviceId} incident: ${oneLine(input.title, 120)} — ${who}`;
}

export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Options for `client.workflow.start('incidentWorkflow', …)`: the business-key id, started
 * with reject-duplicate so a repeated declaration cannot run twice, summaries for the UI and the
 * search attributes. Spread it into the client's start call.
 */
export function incidentStartOptions(input: IncidentInput, taskQueue: string, subscribers?: number) {
  return {
    workflowId: incidentWorkflowId(input.incidentId),
    taskQueue,
    args: [input] as [IncidentInput],
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    staticSummary: incidentStaticSummary(input, subscribers),
    staticDetails: [
      `**Incident** ${input.incidentId} on service \`${input.serviceId}\``,
      `**Title** ${oneLine(input.title, 200)}`,
      `**Declared by** ${input.declaredBy}`,
      `Affected people are held by shards \`${incidentShardWorkflowId(input.incidentId, 0)}\` … (${settingsOf(input).scale.shardCount} shards).`,
    ].join('\n\n'),
    typedSearchAttributes: incidentSearchAttributes(input, 'incident', 'open'),
  };
}

/** NPS figures from a summary. */
export function npsView(s: NpsSummary): NpsView {
  if (s.responses === 0) return { ...s, average: null, score: null };
  return {
    ...s,
    average: Math.round((s.sum / s.responses) * 10) / 10,
    score: Math.round(((s.promoters - s.detractors) / s.responses) * 100),
  };
}

export const emptyNps = (): NpsSummary => ({ responses: 0, sum: 0, promoters: 0, passives: 0, detractors: 0 });
export const emptyCounts = (): AffectedCounts => ({
  affected: 0,
  confirmedFixed: 0,
  stillBroken: 0,
  noAnswer: 0,
  followedUp: 0,
  nps: emptyNps(),
});
export const emptyOutcomes = (): OutcomeCounts => ({ confirmed: 0, 'followed-up': 0, 'deadline-passed': 0 });
