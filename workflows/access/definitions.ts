/**
 * Access requests' contract ("I need access to the CRM system"): the settings of the three access
 * step kinds a catalog plan uses, and the access grant workflow that keeps a granted role until
 * it ends (its input, status query, updates, id and search attributes).
 *
 * A request runs in the generic fulfilment journey: receipt → eligibility → `access-approval`
 * (the requester's manager from the directory) → `grant-access` (directory group membership) →
 * `confirm-access` (what you can do now; starts the grant). The grant is a workflow of its own,
 * `accessGrantWorkflow`, one per granted request: it waits until the end date (a reminder some
 * days before), takes extension requests (approved again) and early ends, removes the membership
 * at the end, and is what "My access" lists. Plain TypeScript: the API imports it too.
 */
import { ApplicationFailure, defineQuery, defineUpdate } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import { AccessEndsAt, AccessRole, JourneyKind, Requester, ServiceId, Stage } from '../shared/search-attributes';

// ---------------------------------------------------------------------------------------------
// Step settings (catalog plans)
// ---------------------------------------------------------------------------------------------

/** One role a person may ask for: the directory group behind it and what to tell them. */
export interface AccessRoleDefinition {
  /** The directory group (its cn, under the group base) membership of which is the role. */
  group: string;
  /** The role's name for people, e.g. `CRM sales manager`. */
  label: string;
  /** What the person can do with it, in a sentence (the "you have access" email). */
  whatYouCanDo: string;
  /** How to start, in a sentence (with the address, where there is one). */
  howToStart: string;
}

/**
 * Asks the requester's manager (the directory's `manager` attribute) to approve; without one (or
 * a disabled one) any enabled member of `fallbackApproverGroup` may decide. The requester never
 * approves their own request. Waits `approvalWaitSeconds`, then turns it down. Reads `role`, `reason`.
 */
export interface AccessApprovalStep {
  kind: 'access-approval';
  fallbackApproverGroup: string;
}

/**
 * Adds the requester to the group behind form field `role` (LDAP modify). Already a member
 * counts as done (and is not taken away later); undone if a later step fails.
 */
export interface GrantAccessStep {
  kind: 'grant-access';
  /** By the form's `role` value. */
  roles: Record<string, AccessRoleDefinition>;
}

/**
 * Emails what the person can now do and starts the grant ({@link accessGrantWorkflowType}),
 * which ends the access at the end date from form field `until` (empty: until ended). Needs
 * `grant-access` before it.
 */
export interface ConfirmAccessStep {
  kind: 'confirm-access';
  /** The reminder goes this many days before the end. */
  reminderDaysBefore: number;
  /** Longest access (and extension) that may be asked for, in days. */
  maxDays: number;
  /** Seconds in a day: 86400; tests shorten it so "for 5 days" passes in seconds. */
  dayLengthSeconds: number;
  /** Who approves an extension when the person's manager cannot (as `access-approval`). */
  fallbackApproverGroup: string;
}

export type AccessStep = AccessApprovalStep | GrantAccessStep | ConfirmAccessStep;

// ---------------------------------------------------------------------------------------------
// "Until when": a date or "for N days"
// ---------------------------------------------------------------------------------------------

/** What the form's `until` accepts: empty, a date (`2027-03-31`) or `for 30 days`. */
export const untilPattern = /^(?:\d{4}-\d{2}-\d{2}|for \d{1,3} days?)$/i;

/**
 * The end as an ISO time, from what the person typed and "now" (workflow time in workflows, the
 * clock in the API). A date ends at its last second (UTC); `for N days` is N days (of
 * `dayLengthSeconds`) from now. `{ until: null }`: no end; null: not a date, or not in the future.
 */
export function resolveUntil(
  text: string | undefined,
  nowMs: number,
  dayLengthSeconds = 86_400,
): { until: string | null } | null {
  const t = (text ?? '').trim().toLowerCase();
  if (t === '') return { until: null };
  if (!untilPattern.test(t)) return null;
  const days = /^for (\d+) days?$/.exec(t);
  if (days) {
    const n = Number(days[1]);
    return n >= 1 ? { until: new Date(nowMs + n * dayLengthSeconds * 1000).toISOString() } : null;
  }
  const end = Date.parse(`${t}T23:59:59.000Z`);
  if (Number.isNaN(end) || new Date(end).toISOString().slice(0, 10) !== t || end <= nowMs) return null;
  return { until: new Date(end).toISOString() };
}

/** Refuses an end further than `maxDays` days (of `dayLengthSeconds`) away. */
export function tooFarAway(untilIso: string, nowMs: number, maxDays: number, dayLengthSeconds = 86_400): boolean {
  return Date.parse(untilIso) - nowMs > maxDays * dayLengthSeconds * 1000 + 1000;
}

// ---------------------------------------------------------------------------------------------
// The grant workflow
// ---------------------------------------------------------------------------------------------

export const accessGrantWorkflowType = 'accessGrantWorkflow';

/** One grant per granted request: `access-<serviceId>-<requestId>`. */
export function accessGrantWorkflowId(serviceId: string, requestId: string): string {
  return `access-${serviceId}-${requestId}`;
}

export interface AccessExtension {
  /** The caller's idempotency key: the same request twice is one extension. */
  requestId: string;
  until: string;
  reason: string;
  askedAt: string;
  /** Who decides (set once asked): the manager, or the group when `anyMemberOf` is set. */
  approver: string | null;
  /** No manager in the directory: any enabled member of this group decides. */
  anyMemberOf: string | null;
  /** pending → approved | rejected | expired. */
  state: 'pending' | 'approved' | 'rejected' | 'expired';
}

/** The grant's state: its input, and what continue-as-new carries into the next run. */
export interface AccessGrantInput {
  grantId: string;
  /** The request that granted it (its fulfilment journey). */
  requestWorkflowId: string;
  serviceId: string;
  serviceTitle: string;
  person: string;
  role: string;
  roleLabel: string;
  group: string;
  since: string;
  /** ISO end; null: until someone ends it. */
  until: string | null;
  reason: string;
  settings: Omit<ConfirmAccessStep, 'kind'> & { approvalWaitSeconds: number };
  /** Extensions asked for so far (continue-as-new keeps them: asking twice counts once). */
  extensions: AccessExtension[];
  /** The end date a reminder was sent for (one reminder per end date). */
  remindedFor: string | null;
  /** How many runs before this one (continue-as-new). */
  runs: number;
  /**
   * Set when a run continued as new while removing the membership: this run goes straight on
   * removing it, with what the ending run knew (why it ends, whether the desk was told, the
   * failures so far). Absent: the grant is active.
   */
  ending?: AccessGrantEnding;
  /** Continue-as-new past this many history events (default 2000; tests make it small). */
  continueAsNewAfterEvents?: number;
  retryInitialIntervalMs?: number;
}

/** The end in progress, carried across a continue-as-new while the removal keeps failing. */
export interface AccessGrantEnding {
  /** Why it ends, as the person is told ({@link AccessGrantStatus.endReason}). */
  endReason: string;
  /** The service desk was told the removal keeps failing (once per grant, whatever the runs). */
  deskTold: boolean;
  /** Failed removal rounds so far, over every run (they space the next rounds out). */
  removalFailures: number;
}

/**
 * Patch id (`patched()`) of the change that makes a grant whose removal keeps failing continue as
 * new when its history grows (a directory down for months used to grow one run's history without
 * bound, towards Temporal's limits). The ending state travels in {@link AccessGrantInput.ending}.
 * Grants removing when it shipped replay the old loop, which only ever retried
 * (test/histories/accessGrantWorkflow/*-before-removal-continues-as-new.json).
 */
export const accessRemovalContinuesAsNewPatch = 'access-removal-continues-as-new';

export type AccessGrantState = 'active' | 'ending' | 'ended';

export interface AccessGrantStatus {
  grantId: string;
  requestWorkflowId: string;
  serviceId: string;
  serviceTitle: string;
  person: string;
  role: string;
  roleLabel: string;
  group: string;
  since: string;
  until: string | null;
  state: AccessGrantState;
  /** Why it ended (`expired`, `ended by …`), or null while active. */
  endReason: string | null;
  endedAt: string | null;
  /** The extension waiting for approval, if any. */
  pendingExtension: AccessExtension | null;
  extensions: AccessExtension[];
  reminderSent: boolean;
  /** The removal failed this many times so far (it never gives up). */
  removalFailures: number;
}

export const accessStatusQuery = defineQuery<AccessGrantStatus>('accessStatus');

/** The person (or the API on their behalf) asks for a later end. Goes through approval again. */
export interface ExtendAccessInput {
  /** The signed-in person: must be the one who has the access. */
  by: string;
  /** Idempotency key: asking twice with the same id is one extension. */
  requestId: string;
  /** A date (`2027-03-31`) or `for 30 days` (from now). */
  until: string;
  reason: string;
}
export interface ExtendAccessResult {
  extension: AccessExtension;
  /** false: this request id was seen before (nothing new asked). */
  created: boolean;
}
export const extendAccessUpdate = defineUpdate<ExtendAccessResult, [ExtendAccessInput]>('extendAccess');

/** The approver decides on a pending extension. */
export interface DecideExtensionInput {
  approver: string;
  approve: boolean;
  reason: string | null;
}
export const decideExtensionUpdate = defineUpdate<{ decision: 'approved' | 'rejected' }, [DecideExtensionInput]>(
  'decideExtension',
);

/** Ends the access now: the person themself, or IT staff (`staff`: the API checked the group). */
export interface EndAccessInput {
  by: string;
  staff: boolean;
  reason: string | null;
}
export const endAccessUpdate = defineUpdate<{ ending: true }, [EndAccessInput]>('endAccess');

function reject(type: 'NotWaiting' | 'NotAllowed' | 'InvalidInput', message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** What the validators look at. */
export interface AccessValidationContext {
  person: string;
  state: AccessGrantState;
  until: string | null;
  pending: AccessExtension | null;
  extensions: AccessExtension[];
  nowMs: number;
  settings: AccessGrantInput['settings'];
}

export function validateExtendAccess(ctx: AccessValidationContext, input: ExtendAccessInput): void {
  if (ctx.state !== 'active') reject('NotWaiting', 'This access has ended');
  if (typeof input?.by !== 'string' || input.by.trim().toLowerCase() !== ctx.person)
    reject('NotAllowed', 'Only the person who has the access can ask to extend it');
  if (typeof input.requestId !== 'string' || !/^[A-Za-z0-9_.:-]{1,80}$/.test(input.requestId))
    reject('InvalidInput', 'requestId: 1–80 letters, digits or _ . : -');
  if (ctx.extensions.some((e) => e.requestId === input.requestId)) return; // the same ask again: answered as before
  if (ctx.pending) reject('NotWaiting', 'An extension is already waiting for approval');
  if (typeof input.reason !== 'string' || input.reason.trim().length < 3 || input.reason.length > 500)
    reject('InvalidInput', 'Say why you need it longer (3–500 characters)');
  const until = resolveUntil(input.until, ctx.nowMs, ctx.settings.dayLengthSeconds)?.until;
  if (!until) reject('InvalidInput', 'Until: a date in the future or "for 30 days"');
  if (ctx.until !== null && Date.parse(until) <= Date.parse(ctx.until))
    reject('InvalidInput', 'An extension must end later than the access does now');
  if (tooFarAway(until, ctx.nowMs, ctx.settings.maxDays, ctx.settings.dayLengthSeconds))
    reject('InvalidInput', `At most ${ctx.settings.maxDays} days from today`);
}

export function validateDecideExtension(ctx: AccessValidationContext, input: DecideExtensionInput): void {
  if (!ctx.pending || ctx.pending.approver === null) reject('NotWaiting', 'No extension is waiting for approval');
  if (typeof input?.approver !== 'string' || typeof input.approve !== 'boolean')
    reject('InvalidInput', 'approver and approve are required');
  const approver = input.approver.trim().toLowerCase();
  if (approver === ctx.person) reject('NotAllowed', 'You cannot approve your own extension');
  if (ctx.pending.anyMemberOf === null && approver !== ctx.pending.approver)
    reject('NotAllowed', `Only ${ctx.pending.approver} can decide on this`);
  const reason = input.reason?.trim() ?? '';
  if (!input.approve && reason.length < 3) reject('InvalidInput', 'Say why you turn it down: the person is told');
}

export function validateEndAccess(ctx: AccessValidationContext, input: EndAccessInput): void {
  if (ctx.state !== 'active') reject('NotWaiting', 'This access is ending or has ended');
  if (typeof input?.by !== 'string' || typeof input.staff !== 'boolean')
    reject('InvalidInput', 'by and staff are required');
  if (!input.staff && input.by.trim().toLowerCase() !== ctx.person)
    reject('NotAllowed', 'Only the person who has the access, or IT staff, can end it');
  if (
    input.reason !== null &&
    input.reason !== undefined &&
    (typeof input.reason !== 'string' || input.reason.length > 500)
  )
    reject('InvalidInput', 'reason: at most 500 characters');
}

/** Search attributes of a grant: "My access" and "ending soon" are visibility queries over these. */
export function accessGrantSearchAttributes(
  g: Pick<AccessGrantInput, 'serviceId' | 'person' | 'role' | 'until'>,
  stage: AccessGrantState,
): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: JourneyKind, value: 'access' },
    { key: ServiceId, value: g.serviceId },
    { key: Requester, value: g.person },
    { key: AccessRole, value: g.role },
    { key: Stage, value: stage },
  ];
  if (g.until) pairs.push({ key: AccessEndsAt, value: new Date(g.until) });
  return pairs;
}
