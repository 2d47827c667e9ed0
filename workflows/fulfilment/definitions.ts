/**
 * The request-fulfilment journey's contract: the service plan a journey runs, its input and
 * result, its messages (status query; approval, device-correction and delivered updates), its
 * workflow id, type name, search attributes and start options.
 *
 * The API imports this file, never workflow.ts: it starts `fulfilmentWorkflow` by type name with
 * {@link fulfilmentStartOptions} (or catalog/index.ts `prepareRequest`, which builds the
 * input from a catalog service), reads {@link statusQuery} and sends {@link approvalUpdate},
 * {@link correctDeviceUpdate} and {@link deliveredUpdate}. Everything here is plain TypeScript:
 * no zod, no Node built-ins, so the workflow bundle stays small (each cached workflow gets its
 * own copy of every module it imports).
 */
import { ApplicationFailure, defineQuery, defineUpdate } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import { JourneyKind, Outcome, Requester, ServiceId, Stage } from '../shared/search-attributes';
import { eventRoutesProblems, type EventRoute } from '../shared/event-types';
import type { StepOf } from './step-kind';
import { stepKind, type StepKinds } from './step-kinds';
import { maskPhone } from '../../config/mask';

// ---------------------------------------------------------------------------------------------
// Type name and ids
// ---------------------------------------------------------------------------------------------

/** Workflow type name (the exported function's name; never rename with journeys in flight). */
export const fulfilmentWorkflowType = 'fulfilmentWorkflow';

/** Request ids: letters, digits and `_ . : -`; they become part of workflow ids and URLs. */
export const requestIdPattern = /^[A-Za-z0-9_.:-]{1,80}$/;
/** Service ids: lower-case words joined by `-`, e.g. `expensatron`, `desk-phone`. */
export const serviceIdPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const accountNamePattern = /^[a-z0-9._-]{1,64}$/;

/**
 * The journey's workflow id, the business key: `fulfil-<serviceId>-<requestId>`. Derive the
 * request id from the caller's idempotency key and a double submit finds the first journey.
 */
export function fulfilmentWorkflowId(serviceId: string, requestId: string): string {
  return `fulfil-${serviceId}-${requestId}`;
}

// ---------------------------------------------------------------------------------------------
// The service plan: what a journey does, as plain data from the catalog
// ---------------------------------------------------------------------------------------------

export type DeviceOs = 'ios' | 'android';
export const deviceOsLabels: Record<DeviceOs, string> = { ios: 'iPhone (iOS)', android: 'Android' };

/** Who may have a service: checked against the directory when the journey runs. */
export interface EligibilityRule {
  /** Member of at least one of these groups (nested membership counts); empty = anyone. */
  anyOfGroups: string[];
  /** The directory account must be enabled. */
  requireEnabled: boolean;
  /** Told to people who may not have it: how to get access, in plain words. */
  howToGetAccess: string;
}

/** Every wait of a journey, in seconds: hours in production, seconds in tests. */
export interface ServiceDurations {
  /**
   * An automated step (an integration call, with its retries) taking longer than this makes the
   * journey tell the requester, once, that it is taking longer than usual. 0 = never.
   */
  takingLongerAfterSeconds: number;
  /** How long an approver has to decide before the request is turned down automatically. */
  approvalWaitSeconds: number;
  /** How long the requester has to correct a phone number the CMDB does not know for them. */
  correctionWaitSeconds: number;
  /** A manual task not done after this long: the service desk is reminded, the requester told. */
  taskReminderSeconds: number;
}

// Settings of the built-in step kinds (steps.ts has their units). A kind's settings are plain
// data in the plan; the fields a step reads from the request form are named in its comment.

/** Emails the requester that the request was received and is being processed. */
export interface AcknowledgeStep {
  kind: 'acknowledge';
}

/** Checks the {@link ServicePlan.eligibility} rule in the directory; ends the journey if not met. */
export interface CheckEligibilityStep {
  kind: 'check-eligibility';
}

/**
 * Asks the person named in form field `approverField` (who must be an enabled member of
 * `approverGroup`) to approve; waits `approvalWaitSeconds`, then turns the request down.
 */
export interface ApprovalStep {
  kind: 'approval';
  approverGroup: string;
  approverField: string;
}

/**
 * Checks that form field `phone` is a device registered to the requester in the CMDB; if
 * not, the requester may correct it (up to `maxCorrections` times, within `correctionWaitSeconds`).
 * Also reads form field `os`.
 */
export interface VerifyDeviceStep {
  kind: 'verify-device';
  maxCorrections: number;
}

/** Texts the download link for the verified device's OS. Needs `verify-device` before it. */
export interface SendDownloadLinkStep {
  kind: 'send-download-link';
  links: Record<DeviceOs, string>;
}

/** Creates (or finds) the requester's account by SCIM in application `applicationId`; undone on failure. */
export interface ProvisionAccountStep {
  kind: 'provision-account';
  applicationId: string;
}

/** Emails the login id and the quick-start guide link. Needs `provision-account` before it. */
export interface SendQuickStartStep {
  kind: 'send-quick-start';
}

/**
 * Work a person does (e.g. deliver a desk phone): the service desk gets a ticket by email and
 * marks it done with {@link deliveredUpdate}; reminded after `taskReminderSeconds`.
 */
export interface ManualTaskStep {
  kind: 'manual-task';
  task: string;
  doneMessage: string;
}

/**
 * One step of a journey: the settings of one of the step kinds registered in step-kinds.ts
 * (the built-in ones above, the access ones in workflows/access/definitions.ts, …).
 */
export type FulfilmentStep = StepOf<StepKinds[number]>;

export type FulfilmentStepKind = FulfilmentStep['kind'];

/**
 * A service's plan as the journey runs it: plain data, copied into the journey's input when it
 * starts. A running journey therefore keeps the plan it started with, so changing a service in
 * the catalog never changes (or breaks the replay of) journeys already in flight.
 */
export interface ServicePlan {
  serviceId: string;
  /** The service's name, e.g. `Expensatron`. */
  title: string;
  /** Bump when the plan changes: it shows in the journey's details. */
  version: number;
  eligibility: EligibilityRule;
  steps: FulfilmentStep[];
  durations: ServiceDurations;
}

/** What the requester typed into the service's form (validated by the catalog's zod form). */
export type RequestFields = Record<string, string>;

// ---------------------------------------------------------------------------------------------
// Stages: what the portal shows
// ---------------------------------------------------------------------------------------------

/**
 * The last stage of a journey that got everything done. A journey that stopped early ends with
 * stage {@link closedStage} and its `Outcome` says why.
 */
export const completedStage = { stage: 'completed', label: 'Done' } as const;
export const closedStage = 'closed';

/** Plain words for each outcome (the portal's stage label once a journey has ended). */
export const outcomeLabels: Record<FulfilmentOutcome, string> = {
  completed: 'Done',
  'not-eligible': 'Closed: not eligible',
  rejected: 'Closed: not approved',
  'device-not-registered': 'Closed: phone not registered to you',
  failed: 'With the service desk',
  cancelled: 'Cancelled',
};

/** The stage a step runs in and its label (its kind's, e.g. a manual task's label is its task). */
export function stageAndLabel(step: FulfilmentStep): { stage: string; label: string } {
  const kind = stepKind(step.kind);
  if (!kind) return { stage: step.kind, label: step.kind };
  return { stage: kind.stage, label: kind.labelOf?.(step) ?? kind.label };
}

/** The stages of a plan in order (each once), ending with {@link completedStage}. */
export function planStages(plan: ServicePlan): { stage: string; label: string }[] {
  const seen = new Set<string>();
  const stages: { stage: string; label: string }[] = [];
  for (const step of plan.steps) {
    const s = stageAndLabel(step);
    if (seen.has(s.stage)) continue;
    seen.add(s.stage);
    stages.push(s);
  }
  stages.push({ ...completedStage });
  return stages;
}

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

/** Starts a journey. One object, so fields can be added without breaking running journeys. */
export interface FulfilmentInput {
  /** The request's id (from the API; derived from an idempotency key when given). */
  requestId: string;
  /** Directory accountName of the person the request is for (from the sign-in). */
  requester: string;
  /** The service's plan at the time of the request (catalog `plan`). */
  plan: ServicePlan;
  /** The request form's validated values, e.g. `{ phone: '+447700900123', os: 'android' }`. */
  fields: RequestFields;
  /** ISO time the request was made (the API's clock); defaults to the workflow's start. */
  requestedAt?: string;
  /** Tests and demos: first retry interval of activities in ms, so outages take seconds. */
  retryInitialIntervalMs?: number;
  /** Webhook subscriptions told about this journey (the API sets it from WEBHOOKS; workflows/shared/events.ts). */
  events?: EventRoute[];
}

const positiveSeconds = (n: unknown): boolean =>
  typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 365 * 24 * 3600;

/** What a step needs from the request form (its kind's `fieldsNeeded`). */
export function fieldsNeededBy(step: FulfilmentStep): string[] {
  return stepKind(step.kind)?.fieldsNeeded?.(step) ?? [];
}

/**
 * What is wrong with a plan, as readable sentences (empty = fine). The catalog test runs it over
 * every service; the workflow runs it again on its input.
 */
export function planProblems(plan: ServicePlan): string[] {
  const problems: string[] = [];
  if (typeof plan !== 'object' || plan === null) return ['plan: missing'];
  if (typeof plan.serviceId !== 'string' || !serviceIdPattern.test(plan.serviceId) || plan.serviceId.length > 40) {
    problems.push('plan.serviceId: lower-case words joined by -, at most 40 characters');
  }
  if (typeof plan.title !== 'string' || plan.title.trim() === '') problems.push('plan.title: must not be empty');
  if (!Number.isInteger(plan.version) || plan.version < 1) problems.push('plan.version: a positive whole number');
  const e = plan.eligibility as EligibilityRule | undefined;
  if (
    !e ||
    !Array.isArray(e.anyOfGroups) ||
    typeof e.requireEnabled !== 'boolean' ||
    typeof e.howToGetAccess !== 'string'
  ) {
    problems.push('plan.eligibility: anyOfGroups, requireEnabled and howToGetAccess');
  }
  const d = plan.durations as ServiceDurations | undefined;
  // 0 means "never" for the two courtesy thresholds; a person always gets at least a second.
  for (const key of ['takingLongerAfterSeconds', 'taskReminderSeconds'] as const) {
    if (!d || !positiveSeconds(d[key])) problems.push(`plan.durations.${key}: seconds, 0 (never) to a year`);
  }
  for (const key of ['approvalWaitSeconds', 'correctionWaitSeconds'] as const) {
    if (!d || !positiveSeconds(d[key]) || d[key] < 1) problems.push(`plan.durations.${key}: seconds, 1 to a year`);
  }
  if (!Array.isArray(plan.steps) || plan.steps.length === 0) return [...problems, 'plan.steps: at least one step'];
  const kinds = plan.steps.map((s) => s.kind);
  plan.steps.forEach((step, i) => {
    const kind = stepKind(step.kind);
    if (!kind) {
      problems.push(`plan.steps[${i}]: unknown step kind ${String((step as { kind: unknown }).kind)}`);
      return;
    }
    const at = `plan.steps[${i}] (${step.kind})`;
    problems.push(...(kind.problems?.(step, kinds.slice(0, i)) ?? []).map((p) => `${at}: ${p}`));
  });
  return problems;
}

/** What is wrong with an input (empty = fine). The API may call it; the workflow always does. */
export function fulfilmentInputProblems(input: FulfilmentInput): string[] {
  const problems: string[] = [];
  if (typeof input.requestId !== 'string' || !requestIdPattern.test(input.requestId))
    problems.push('requestId: 1–80 letters, digits or _ . : -');
  if (typeof input.requester !== 'string' || !accountNamePattern.test(input.requester))
    problems.push('requester: a directory account name');
  problems.push(...planProblems(input.plan));
  if (typeof input.fields !== 'object' || input.fields === null) problems.push('fields: the request form values');
  else {
    for (const [k, v] of Object.entries(input.fields))
      if (typeof v !== 'string') problems.push(`fields.${k}: must be text`);
    for (const step of Array.isArray(input.plan?.steps) ? input.plan.steps : []) {
      for (const f of fieldsNeededBy(step))
        if (typeof input.fields[f] !== 'string' || input.fields[f] === '')
          problems.push(`fields.${f}: needed by the ${step.kind} step`);
    }
    if (input.fields.os !== undefined && input.fields.os !== 'ios' && input.fields.os !== 'android')
      problems.push('fields.os: ios or android');
  }
  if (
    input.requestedAt !== undefined &&
    (typeof input.requestedAt !== 'string' || Number.isNaN(Date.parse(input.requestedAt)))
  )
    problems.push('requestedAt: an ISO time');
  if (
    input.retryInitialIntervalMs !== undefined &&
    !(typeof input.retryInitialIntervalMs === 'number' && input.retryInitialIntervalMs >= 1)
  ) {
    problems.push('retryInitialIntervalMs: at least 1');
  }
  problems.push(...eventRoutesProblems(input.events));
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Status (the statusQuery answer) and result
// ---------------------------------------------------------------------------------------------

/** pending: not reached yet; skipped: the journey ended before it. */
export type StageState = 'pending' | 'current' | 'done' | 'failed' | 'skipped';

export interface StageRecord {
  stage: string;
  label: string;
  state: StageState;
  /** ISO times; null until started / ended. */
  startedAt: string | null;
  endedAt: string | null;
}

/** One thing the requester was told. */
export interface Notification {
  /** ISO time the message was handed to the provider (workflow time after the send). */
  at: string;
  channel: 'email' | 'sms';
  /** The address, or the phone number masked (`+44…0123`). */
  to: string;
  /** What it said, in a few words. */
  summary: string;
}

/** A person the journey is waiting for, if any. */
export type WaitingFor =
  /** `anyMemberOf`: no one person (access requests without a manager): any enabled member decides. */
  | { kind: 'approval'; approver: string; until: string; anyMemberOf?: string }
  /** `phone` is masked; `reason` says what is wrong with the number, in plain words. */
  | { kind: 'device-correction'; phone: string; reason: string; until: string; attempt: number }
  | { kind: 'manual-task'; task: string; since: string }
  | null;

/**
 * How a journey ended. `failed`: a step failed for good; what was done was undone and the
 * service desk has the request as a ticket.
 */
export type FulfilmentOutcome =
  'completed' | 'not-eligible' | 'rejected' | 'device-not-registered' | 'failed' | 'cancelled';

/** The answer to {@link statusQuery}: the portal's "where is my request?" page reads only this. */
export interface FulfilmentStatus {
  requestId: string;
  workflowId: string;
  serviceId: string;
  serviceTitle: string;
  requester: string;
  requestedAt: string;
  /** Current stage id (the `Stage` search attribute), e.g. `device-check`; `completed` or `closed` at the end. */
  stage: string;
  stageLabel: string;
  running: boolean;
  /** null while running. */
  outcome: FulfilmentOutcome | null;
  /** Why it ended that way, in plain words (null when completed or running). */
  reason: string | null;
  stages: StageRecord[];
  /** What the requester has been told, oldest first. */
  told: Notification[];
  waitingFor: WaitingFor;
  /** The requester was told it is taking longer than usual. */
  delayed: boolean;
  /** Plan version the journey runs. */
  planVersion: number;
}

/** Experience figures of a finished journey (the experience store's journey record, without NPS). */
export interface JourneyFigures {
  timeToOutcomeMs: number;
  stageDurationsMs: Record<string, number>;
  userInputs: number;
  messagesSent: number;
  longestSilenceMs: number;
  cameBack: boolean;
}

/** An account the journey created (or found) in an application. */
export interface ProvisionedAccount {
  applicationId: string;
  accountId: string;
  userName: string;
  /**
   * What SCIM `ensureAccount` said. Compensation does not rely on it alone (a retry finds the
   * account its own first attempt created): the journey also looks before provisioning.
   */
  created: boolean;
}

/** How a journey ended: the final status plus what it produced. */
export interface FulfilmentResult extends FulfilmentStatus {
  outcome: FulfilmentOutcome;
  finishedAt: string;
  account: ProvisionedAccount | null;
  /** Compensations that ran (after a failure), e.g. `Deactivated expensatron account 2819c…`. */
  undone: string[];
  figures: JourneyFigures;
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/** The journey's status, at any time (also after it finished). */
export const statusQuery = defineQuery<FulfilmentStatus>('status');

/** An approver's decision. `approver` is the signed-in person (the API fills it, never the form). */
export interface ApprovalInput {
  approver: string;
  approve: boolean;
  /** Required when turning down (the requester is told why). */
  reason: string | null;
}
export interface ApprovalResult {
  decision: 'approved' | 'rejected';
}
export const approvalUpdate = defineUpdate<ApprovalResult, [ApprovalInput]>('approval');

/** The requester corrects the phone number the CMDB did not know for them. */
export interface DeviceCorrection {
  /** The signed-in person: must be the requester. */
  accountName: string;
  phone: string;
  os?: DeviceOs;
}
export interface DeviceCorrectionResult {
  accepted: true;
  /** The check runs again: attempt number (1 = the first correction). */
  attempt: number;
}
export const correctDeviceUpdate = defineUpdate<DeviceCorrectionResult, [DeviceCorrection]>('correctDevice');

/** The service desk says the manual task (e.g. delivering the desk phone) is done. */
export interface DeliveredInput {
  /** The service desk member (signed in). */
  by: string;
  note: string | null;
}
export interface DeliveredResult {
  accepted: true;
}
export const deliveredUpdate = defineUpdate<DeliveredResult, [DeliveredInput]>('delivered');

/** Failure types of the update validators (the API maps them to 409 / 400 / 403). */
export const updateFailureTypes = {
  NotWaiting: 'NotWaiting',
  NotAllowed: 'NotAllowed',
  InvalidInput: 'InvalidInput',
} as const;

function reject(type: keyof typeof updateFailureTypes, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** What the validators look at: the journey's state when the update arrives. */
export interface ValidationContext {
  requester: string;
  waitingFor: WaitingFor;
}

/** Validator of {@link approvalUpdate}: only the named approver, only while waiting, a reason when turning down. */
export function validateApproval(ctx: ValidationContext, input: ApprovalInput): void {
  if (ctx.waitingFor?.kind !== 'approval') reject('NotWaiting', 'This request is not waiting for approval');
  if (typeof input?.approver !== 'string' || typeof input.approve !== 'boolean')
    reject('InvalidInput', 'approver and approve are required');
  const approver = input.approver.trim().toLowerCase();
  if (approver === ctx.requester.toLowerCase()) reject('NotAllowed', 'You cannot approve your own request');
  if (ctx.waitingFor.anyMemberOf === undefined && approver !== ctx.waitingFor.approver.toLowerCase())
    reject('NotAllowed', `Only ${ctx.waitingFor.approver} can decide on this request`);
  const reason = input.reason?.trim() ?? '';
  if (!input.approve && reason.length < 3) reject('InvalidInput', 'Say why you turn it down: the requester is told');
  if (reason.length > 500) reject('InvalidInput', 'The reason must be at most 500 characters');
}

/** A phone number as people type it: digits with optional +, spaces, dots, dashes, brackets. */
export function looksLikePhone(value: string): boolean {
  const digits = value.replace(/[\s().-]/g, '');
  return /^\+?\d{7,15}$/.test(digits);
}

/** Validator of {@link correctDeviceUpdate}: only the requester, only while waiting for a correction. */
export function validateDeviceCorrection(ctx: ValidationContext, input: DeviceCorrection): void {
  if (ctx.waitingFor?.kind !== 'device-correction')
    reject('NotWaiting', 'This request is not waiting for a phone number');
  if (
    typeof input?.accountName !== 'string' ||
    input.accountName.trim().toLowerCase() !== ctx.requester.toLowerCase()
  ) {
    reject('NotAllowed', 'Only the person who asked can correct the phone number');
  }
  if (typeof input.phone !== 'string' || !looksLikePhone(input.phone))
    reject('InvalidInput', 'Enter a mobile number, e.g. 07700 900123');
  if (input.os !== undefined && input.os !== 'ios' && input.os !== 'android')
    reject('InvalidInput', 'The phone is an iPhone (ios) or Android (android)');
}

/** Validator of {@link deliveredUpdate}: only while the manual task is open; says who did it. */
export function validateDelivered(ctx: ValidationContext, input: DeliveredInput): void {
  if (ctx.waitingFor?.kind !== 'manual-task') reject('NotWaiting', 'This request is not waiting for the service desk');
  if (typeof input?.by !== 'string' || !accountNamePattern.test(input.by.trim().toLowerCase()))
    reject('InvalidInput', 'by: the account name of who did it');
  if (input.note !== null && input.note !== undefined && (typeof input.note !== 'string' || input.note.length > 1000))
    reject('InvalidInput', 'note: at most 1000 characters');
}

// ---------------------------------------------------------------------------------------------
// Search attributes, summaries, start options
// ---------------------------------------------------------------------------------------------

/** Search attributes of a journey (registered by the dev server start-up). */
export function fulfilmentSearchAttributes(
  input: Pick<FulfilmentInput, 'requester' | 'plan'>,
  stage: string,
  outcome?: string,
): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: JourneyKind, value: 'fulfilment' },
    { key: ServiceId, value: input.plan.serviceId },
    { key: Requester, value: input.requester },
    { key: Stage, value: stage },
  ];
  if (outcome) pairs.push({ key: Outcome, value: outcome });
  return pairs;
}

/**
 * One line for the Temporal UI, e.g. `Expensatron for steve@eagle5.example (Android)`. `detail`
 * comes from the catalog service (`describeRequest`); without it the OS is shown when there is one.
 */
export function fulfilmentStaticSummary(
  input: Pick<FulfilmentInput, 'plan' | 'requester' | 'fields'>,
  options: { requesterLabel?: string; detail?: string } = {},
): string {
  const os = input.fields.os === 'ios' ? 'iPhone' : input.fields.os === 'android' ? 'Android' : null;
  const detail = options.detail?.trim() || os;
  const line = `${input.plan.title} for ${options.requesterLabel ?? input.requester}${detail ? ` (${detail})` : ''}`;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Markdown for the Temporal UI's details: who, what, which plan; phone numbers masked. */
export function fulfilmentStaticDetails(input: FulfilmentInput): string {
  const shown = Object.entries(input.fields)
    .map(([k, v]) => `- ${k}: ${/phone|mobile/i.test(k) ? maskPhone(v) : v.length > 80 ? `${v.slice(0, 79)}…` : v}`)
    .join('\n');
  return [
    `**${input.plan.title}** request \`${input.requestId}\` for **${input.requester}**`,
    `**Steps** ${input.plan.steps.map((s) => s.kind).join(' → ')} (plan v${input.plan.version})`,
    shown ? `**Form**\n${shown}` : '',
  ]
    .filter((l) => l !== '')
    .join('\n\n');
}

/**
 * The workflow task timeout journeys start with (the server's default is 10 s). A journey's
 * workflow task is a few milliseconds of code over a short history; one that takes 5 s is on a
 * worker that is gone or stalled as badly as a missed heartbeat says, and another worker takes
 * it over by replaying the history. Not used for the incident, whose tasks carry more state.
 */
export const journeyWorkflowTaskTimeout = '5 seconds';

/**
 * Options for `client.workflow.start(fulfilmentWorkflowType, …)`: the business-key id, summaries
 * for the UI and the search attributes. A second start with the same request id fails with
 * `WorkflowExecutionAlreadyStartedError` whether the first is running (`FAIL`) or finished
 * (`REJECT_DUPLICATE`): catch it and return the first journey (`created: false`). Spread it into
 * the client's start call.
 */
export function fulfilmentStartOptions(
  input: FulfilmentInput,
  taskQueue: string,
  options: { requesterLabel?: string; detail?: string } = {},
) {
  return {
    workflowId: fulfilmentWorkflowId(input.plan.serviceId, input.requestId),
    taskQueue,
    args: [input] as [FulfilmentInput],
    workflowIdConflictPolicy: 'FAIL' as const,
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    workflowTaskTimeout: journeyWorkflowTaskTimeout,
    staticSummary: fulfilmentStaticSummary(input, options),
    staticDetails: fulfilmentStaticDetails(input),
    typedSearchAttributes: fulfilmentSearchAttributes(input, planStages(input.plan)[0]?.stage ?? completedStage.stage),
  };
}

// ---------------------------------------------------------------------------------------------
// Journey feedback: the requester's NPS answer about a finished request
// ---------------------------------------------------------------------------------------------

/** Workflow type name of the feedback workflow (workflows/fulfilment/feedback.ts). */
export const journeyFeedbackWorkflowType = 'journeyFeedbackWorkflow';

/** Longest comment a requester may leave with a score (the portal and the API say the same). */
export const feedbackCommentMaxLength = 500;

/** One NPS answer about a finished journey. One object, so fields can be added later. */
export interface JourneyFeedbackInput {
  /** The rated journey's workflow id, e.g. `fulfil-expensatron-k1f…`. */
  journeyId: string;
  serviceId: string;
  /** accountName of who answered: the journey's requester (the gateway checks it). */
  user: string;
  /** 0–10: how likely to recommend / how satisfied. */
  score: number;
  comment: string | null;
  /** ISO time of the answer (the API's clock): a later answer replaces an earlier one. */
  at: string;
}

/** What the feedback workflow recorded. */
export interface JourneyFeedbackResult {
  journeyId: string;
  user: string;
  score: number;
  recordedAt: string;
}

/** What is wrong with a feedback input (empty = fine). The gateway may call it; the workflow always does. */
export function journeyFeedbackInputProblems(input: JourneyFeedbackInput): string[] {
  if (typeof input !== 'object' || input === null) return ['input: missing'];
  const problems: string[] = [];
  if (typeof input.journeyId !== 'string' || !/^[A-Za-z0-9_.:-]{1,200}$/.test(input.journeyId))
    problems.push('journeyId: the journey’s workflow id');
  if (typeof input.serviceId !== 'string' || !serviceIdPattern.test(input.serviceId) || input.serviceId.length > 40)
    problems.push('serviceId: a catalog service id');
  if (typeof input.user !== 'string' || !accountNamePattern.test(input.user))
    problems.push('user: a directory account name');
  if (typeof input.score !== 'number' || !Number.isInteger(input.score) || input.score < 0 || input.score > 10)
    problems.push('score: a whole number 0–10');
  if (
    input.comment !== null &&
    (typeof input.comment !== 'string' || input.comment.length > feedbackCommentMaxLength)
  ) {
    problems.push(`comment: null or at most ${feedbackCommentMaxLength} characters`);
  }
  if (typeof input.at !== 'string' || Number.isNaN(Date.parse(input.at))) problems.push('at: an ISO time');
  return problems;
}

/** One id per rated journey: `feedback-<journeyId>`, so a person's second answer replaces the first run. */
export function journeyFeedbackWorkflowId(journeyId: string): string {
  return `feedback-${journeyId}`;
}

/** The summary of the recording activity and of the run, e.g. `NPS 9 from steve for fulfil-expensatron-…`. */
export function journeyFeedbackSummary(input: Pick<JourneyFeedbackInput, 'score' | 'user' | 'journeyId'>): string {
  return `NPS ${input.score} from ${input.user} for ${input.journeyId}`;
}

/**
 * Options for `client.workflow.start(journeyFeedbackWorkflowType, …)`. A person may change their
 * mind, so a second answer must win over the first:
 * - a finished first run: `ALLOW_DUPLICATE` starts a new run under the same id;
 * - a first run still running (seconds, or longer while the experience store is down):
 *   `TERMINATE_EXISTING` ends it and starts the new one. `USE_EXISTING` would drop the new score
 *   and `FAIL` would make the person try again. Terminating is safe: the store never lets an
 *   answer with an older `at` replace a newer one, so an old run's write that still lands (an
 *   attempt in flight when it was terminated) cannot undo the new answer.
 */
export function journeyFeedbackStartOptions(input: JourneyFeedbackInput, taskQueue: string) {
  return {
    workflowId: journeyFeedbackWorkflowId(input.journeyId),
    taskQueue,
    args: [input] as [JourneyFeedbackInput],
    workflowIdConflictPolicy: 'TERMINATE_EXISTING' as const,
    workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const,
    staticSummary: journeyFeedbackSummary(input),
    typedSearchAttributes: [
      { key: JourneyKind, value: 'feedback' },
      { key: ServiceId, value: input.serviceId },
      { key: Requester, value: input.user },
    ] satisfies SearchAttributePair[],
  };
}
