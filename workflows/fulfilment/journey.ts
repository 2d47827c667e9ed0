/**
 * One journey's state and the small helpers every step uses: entering a stage (search attribute,
 * current details), calling an activity with a summary, recording what the requester was told,
 * the "taking longer than usual" watch, and the saga's list of undo actions.
 *
 * Deterministic: only workflow APIs, workflow time, and state rebuilt by replay.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setCurrentDetails,
  upsertSearchAttributes,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { FulfilmentActivities } from '../../activities/fulfilment';
import type { JourneyRef, RequesterContact, RequesterNotice, Told } from '../../activities/messages/fulfilment';
import { directoryCall, notification, withRetryInterval } from '../shared/activity-options';
import { EventOutbox } from '../shared/events';
import { Outcome, Stage } from '../shared/search-attributes';
import {
  closedStage,
  completedStage,
  outcomeLabels,
  planStages,
  type ApprovalInput,
  type DeliveredInput,
  type DeviceCorrection,
  type DeviceOs,
  type FulfilmentInput,
  type FulfilmentOutcome,
  type FulfilmentStatus,
  type JourneyFigures,
  type Notification,
  type ProvisionedAccount,
  type RequestFields,
  type ServicePlan,
  type StageRecord,
  type WaitingFor,
} from './definitions';

/** Activities are always called with per-call options (a summary each): this default is unused. */
export const acts = proxyActivities<FulfilmentActivities>(directoryCall);

/** An undo action the saga runs, newest first, when a later step fails for good. */
export interface Compensation {
  /** What it undoes, for the ticket and the result, e.g. `expensatron account steve@…`. */
  what: string;
  undo: () => Promise<void>;
}

/** The requester's verified device (set by the verify-device step). */
export interface VerifiedDevice {
  phone: string;
  maskedPhone: string;
  os: DeviceOs;
}

export const nowIso = (): string => new Date().toISOString();

export class Journey {
  readonly plan: ServicePlan;
  readonly ref: JourneyRef;
  /** The form values; a device correction replaces `phone` (and `os`). */
  readonly fields: RequestFields;
  readonly requestedAt: string;
  readonly stages: StageRecord[];
  current: StageRecord | null = null;
  readonly told: Notification[] = [];
  waitingFor: WaitingFor = null;
  /** The requester has been told it is taking longer (status `delayed`). */
  delayed = false;
  /** The taking-longer notice was started: never a second one, even if the first failed. */
  private delayNoticeStarted = false;
  outcome: FulfilmentOutcome | null = null;
  reason: string | null = null;
  finishedAt: string | null = null;

  contact: RequesterContact | null = null;
  device: VerifiedDevice | null = null;
  account: ProvisionedAccount | null = null;
  smsSent = false;
  readonly compensations: Compensation[] = [];
  /** What a registered step kind keeps for the kinds after it (step-kind.ts), by the kind's own key. */
  readonly stepState: Record<string, unknown> = {};
  readonly undone: string[] = [];
  /** Webhook events of this journey (none, and no activity, when nobody subscribed). */
  readonly events: EventOutbox;

  /** Human input the journey waits for, set by the update handlers. */
  approval: ApprovalInput | null = null;
  correction: DeviceCorrection | null = null;
  corrections = 0;
  delivered: DeliveredInput | null = null;

  /** The form counts as one input; approvals are the approver's, corrections the requester's. */
  userInputs = 1;
  cameBack = false;

  constructor(
    readonly input: FulfilmentInput,
    workflowId: string,
  ) {
    this.plan = input.plan;
    this.fields = { ...input.fields };
    this.requestedAt = input.requestedAt ?? nowIso();
    this.ref = {
      workflowId,
      requestId: input.requestId,
      serviceId: input.plan.serviceId,
      serviceTitle: input.plan.title,
      requester: input.requester,
    };
    this.stages = planStages(input.plan).map((s) => ({ ...s, state: 'pending', startedAt: null, endedAt: null }));
    this.events = new EventOutbox(input.events, workflowId, input.retryInitialIntervalMs);
  }

  /** What every request event carries (no form fields: they may hold a phone number). */
  eventData(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const s = this.status();
    return {
      requestId: this.ref.workflowId,
      serviceId: this.ref.serviceId,
      serviceTitle: this.ref.serviceTitle,
      requester: this.ref.requester,
      requestedAt: this.requestedAt,
      stage: s.stage,
      stageLabel: s.stageLabel,
      ...extra,
    };
  }

  /** Preset + retry override + a summary for the Temporal UI (phone numbers masked by the caller). */
  opts(preset: ActivityOptions, summary: string): ActivityOptions {
    return { ...withRetryInterval(preset, this.input.retryInitialIntervalMs), summary };
  }

  /** Moves to `stage`: ends the current one as done, records times, updates search attribute and details. */
  enter(stage: string, label?: string): void {
    if (this.current?.stage === stage) return;
    const now = nowIso();
    if (this.current) {
      this.current.state = 'done';
      this.current.endedAt = now;
    }
    let record = this.stages.find((s) => s.stage === stage);
    if (!record) {
      // A stage the plan listing did not foresee: keep it visible rather than lose it.
      record = { stage, label: label ?? stage, state: 'pending', startedAt: null, endedAt: null };
      this.stages.splice(Math.max(0, this.stages.length - 1), 0, record);
    }
    record.state = 'current';
    record.startedAt = now;
    this.current = record;
    upsertSearchAttributes([{ key: Stage, value: stage }]);
    this.showDetails();
    // The last stage is told by `request.finished`.
    if (stage !== completedStage.stage) this.events.emit('request.stage-changed', this.eventData());
  }

  /** Ends the journey: stage states, search attributes, details. */
  finish(outcome: FulfilmentOutcome, reason: string | null): void {
    const now = nowIso();
    if (outcome === 'completed') this.enter(completedStage.stage);
    if (this.current) {
      this.current.state = outcome === 'completed' ? 'done' : 'failed';
      this.current.endedAt = now;
    }
    for (const s of this.stages) if (s.state === 'pending') s.state = 'skipped';
    this.outcome = outcome;
    this.reason = reason;
    this.finishedAt = now;
    this.waitingFor = null;
    upsertSearchAttributes([
      { key: Stage, value: outcome === 'completed' ? completedStage.stage : closedStage },
      { key: Outcome, value: outcome },
    ]);
    this.showDetails();
    this.events.emit('request.finished', this.eventData({ outcome, reason, finishedAt: now }));
  }

  setWaiting(waitingFor: WaitingFor): void {
    this.waitingFor = waitingFor;
    this.showDetails();
    // Phone numbers in `waitingFor` are masked already (the device check's `maskedPhone`).
    if (waitingFor) this.events.emit('request.waiting', this.eventData({ waitingFor }));
  }

  /** Records a message to the requester (workflow time: when the provider had it). */
  record(told: Told): void {
    this.told.push({ at: nowIso(), channel: told.channel, to: told.to, summary: told.summary });
    this.showDetails();
  }

  /**
   * The requester's directory entry, looked up once (the acknowledge step normally does it).
   * `watch: false` when the caller already watches the whole step (one timer per step).
   */
  async requester(options: { watch?: boolean } = {}): Promise<RequesterContact> {
    if (this.contact) return this.contact;
    const find = () =>
      acts.findRequester.executeWithOptions(
        this.opts(directoryCall, `Look up ${this.ref.requester} in the directory`),
        [{ accountName: this.ref.requester }],
      );
    this.contact = options.watch === false ? await find() : await this.watched(find);
    return this.contact;
  }

  /** Emails the requester a notice and records it. `step` makes the idempotency key. */
  async tell(notice: RequesterNotice, step: string): Promise<void> {
    const contact = await this.requester();
    const told = await acts.emailRequester.executeWithOptions(
      this.opts(notification, `Email ${contact.email}: ${notice.kind}`),
      [{ journey: this.ref, contact, notice, step }],
    );
    this.record(told);
  }

  /**
   * Runs automated work; if it is not done within the plan's `takingLongerAfterSeconds` (an
   * integration down, retrying with backoff), tells the requester once per journey that it is
   * taking longer than usual, then keeps waiting. The race is a workflow condition with a timeout
   * (a timer in history), so replay takes the same branch.
   */
  async watched<T>(work: () => Promise<T>): Promise<T> {
    const threshold = this.plan.durations.takingLongerAfterSeconds;
    if (this.delayNoticeStarted || threshold <= 0) return work();
    let settled = false;
    const running = work();
    void running.then(
      () => (settled = true),
      () => (settled = true),
    );
    const inTime = await condition(() => settled, threshold * 1000, {
      summary: `Taking longer than ${threshold}s? Then tell the requester`,
    });
    if (!inTime) await this.tellTakingLonger();
    return running;
  }

  /** Tells the requester, once per journey, that it is taking longer than usual. Never fails the journey. */
  async tellTakingLonger(): Promise<void> {
    if (this.delayNoticeStarted) return;
    this.delayNoticeStarted = true;
    try {
      await this.tell({ kind: 'taking-longer', stageLabel: this.current?.label ?? this.plan.title }, 'taking-longer');
      this.delayed = true;
      this.showDetails();
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      // A courtesy message: the journey itself goes on.
      log.warn('could not send the taking-longer message', { error: err.cause?.message ?? err.message });
    }
  }

  /** Runs the undo actions newest first; failures are logged and reported, never rethrown. */
  async compensate(): Promise<void> {
    while (this.compensations.length > 0) {
      const c = this.compensations.pop()!;
      try {
        await c.undo();
        this.undone.push(`undid ${c.what}`);
      } catch (err) {
        if (!(err instanceof ActivityFailure || err instanceof ApplicationFailure)) throw err;
        log.error('compensation failed', { what: c.what, error: err.cause?.message ?? err.message });
        this.undone.push(`could NOT undo ${c.what} (${err.cause?.message ?? err.message}): please do it by hand`);
      }
    }
  }

  status(): FulfilmentStatus {
    const ended = this.outcome !== null;
    return {
      requestId: this.ref.requestId,
      workflowId: this.ref.workflowId,
      serviceId: this.ref.serviceId,
      serviceTitle: this.ref.serviceTitle,
      requester: this.ref.requester,
      requestedAt: this.requestedAt,
      stage: ended
        ? this.outcome === 'completed'
          ? completedStage.stage
          : closedStage
        : (this.current?.stage ?? this.stages[0]?.stage ?? completedStage.stage),
      stageLabel: ended ? outcomeLabels[this.outcome!] : (this.current?.label ?? this.stages[0]?.label ?? ''),
      running: !ended,
      outcome: this.outcome,
      reason: this.reason,
      stages: this.stages.map((s) => ({ ...s })),
      told: this.told.map((t) => ({ ...t })),
      waitingFor: this.waitingFor,
      delayed: this.delayed,
      planVersion: this.plan.version,
    };
  }

  figures(): JourneyFigures {
    const end = Date.parse(this.finishedAt ?? nowIso());
    const start = Date.parse(this.requestedAt);
    const stageDurationsMs: Record<string, number> = {};
    for (const s of this.stages) {
      if (s.startedAt && s.endedAt)
        stageDurationsMs[s.stage] = (stageDurationsMs[s.stage] ?? 0) + Date.parse(s.endedAt) - Date.parse(s.startedAt);
    }
    const moments = [start, ...this.told.map((t) => Date.parse(t.at)), end];
    let longestSilenceMs = 0;
    for (let i = 1; i < moments.length; i++)
      longestSilenceMs = Math.max(longestSilenceMs, moments[i]! - moments[i - 1]!);
    return {
      timeToOutcomeMs: Math.max(0, end - start),
      stageDurationsMs,
      userInputs: this.userInputs,
      messagesSent: this.told.length,
      longestSilenceMs,
      cameBack: this.cameBack,
    };
  }

  /** The journey in the Temporal UI's current details (markdown). */
  showDetails(): void {
    const s = this.status();
    const w = this.waitingFor;
    const waiting =
      w?.kind === 'approval'
        ? `Waiting for **${w.approver}** to approve, until ${w.until}`
        : w?.kind === 'device-correction'
          ? `Waiting for ${this.ref.requester} to correct phone ${w.phone} (attempt ${w.attempt}), until ${w.until}`
          : w?.kind === 'manual-task'
            ? `Waiting for the service desk: ${w.task} (since ${w.since})`
            : '';
    const last = this.told[this.told.length - 1];
    setCurrentDetails(
      [
        `**${s.stageLabel}** (\`${s.stage}\`)${s.outcome ? ` · outcome **${s.outcome}**` : ''}${this.delayed ? ' · requester told it is taking longer' : ''}`,
        s.reason ? `Why: ${s.reason}` : '',
        waiting,
        last
          ? `Told the requester ${this.told.length}×, last: ${last.summary} (${last.channel}, ${last.at})`
          : 'Nothing sent to the requester yet',
        this.undone.length > 0 ? `Compensation: ${this.undone.join('; ')}` : '',
      ]
        .filter((l) => l !== '')
        .join('\n\n'),
    );
  }
}
