/**
 * The request-fulfilment journey (Steve asks for Expensatron and has it within minutes): one generic
 * workflow that runs the steps of a service's plan (catalog/), telling the requester at every
 * step. The plan travels in the input, so a catalog change never alters a journey in flight.
 *
 * Human steps are updates with validators (approval, device correction, delivered); the portal
 * reads everything through `statusQuery`. Permanent failures run the saga: undo what was created
 * (newest first, compensation errors swallowed), hand the request to the service desk as a ticket,
 * and tell the requester what happens next. Transient failures are retried by Temporal forever;
 * past the plan's threshold the requester is told, once, that it is taking longer than usual.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { experienceCall, notification } from '../shared/activity-options';
import type { createExperienceActivities } from '../../activities/experience';
import {
  approvalUpdate,
  correctDeviceUpdate,
  deliveredUpdate,
  fulfilmentInputProblems,
  statusQuery,
  validateApproval,
  validateDelivered,
  validateDeviceCorrection,
  type ApprovalInput,
  type DeliveredInput,
  type DeviceCorrection,
  type FulfilmentInput,
  type FulfilmentResult,
  type FulfilmentStep,
  type ValidationContext,
} from './definitions';
import { Journey, acts } from './journey';
import type { StepEnd } from './step-kind';
import { stepKind } from './step-kinds';

/**
 * The fulfilment workflow (type name `fulfilmentWorkflow`, id `fulfil-<serviceId>-<requestId>`).
 * Start it with `fulfilmentStartOptions` from definitions.ts. Ends with a {@link FulfilmentResult}
 * whatever the outcome; fails only with `InvalidFulfilmentInput` (a bug in the caller), and is
 * cancelled (after undoing its work) when cancelled.
 */
export async function fulfilmentWorkflow(input: FulfilmentInput): Promise<FulfilmentResult> {
  const problems = fulfilmentInputProblems(input);
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: 'InvalidFulfilmentInput',
      message: `The request cannot start: ${problems.join('; ')}`,
      nonRetryable: true,
    });
  }
  const j = new Journey(input, workflowInfo().workflowId);
  const ctx = (): ValidationContext => ({ requester: input.requester, waitingFor: j.waitingFor });

  setHandler(statusQuery, () => j.status());
  setHandler(
    approvalUpdate,
    (decision) => {
      j.approval = {
        approver: decision.approver.trim().toLowerCase(),
        approve: decision.approve,
        reason: decision.reason?.trim() || null,
      };
      return { decision: decision.approve ? 'approved' : 'rejected' };
    },
    { validator: (decision: ApprovalInput) => validateApproval(ctx(), decision) },
  );
  setHandler(
    correctDeviceUpdate,
    (correction) => {
      j.correction = correction;
      return { accepted: true, attempt: j.corrections + 1 };
    },
    { validator: (correction: DeviceCorrection) => validateDeviceCorrection(ctx(), correction) },
  );
  setHandler(
    deliveredUpdate,
    (delivered) => {
      j.delivered = { by: delivered.by.trim().toLowerCase(), note: delivered.note?.trim() || null };
      return { accepted: true };
    },
    { validator: (delivered: DeliveredInput) => validateDelivered(ctx(), delivered) },
  );

  j.events.emit('request.submitted', j.eventData());

  try {
    let ended: StepEnd = null;
    for (const step of input.plan.steps) {
      ended = await runStep(j, step);
      if (ended) break;
    }
    if (ended) j.finish(ended.outcome, ended.reason);
    else j.finish('completed', null);
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        await handOver(j, 'cancelled', 'The request was cancelled');
        await j.events.drain();
      });
      throw err;
    }
    // Only failures of the outside world go down the saga; a bug in this code must stay visible
    // as a failing workflow task (fix and redeploy, the journey resumes), not end journeys.
    if (!(err instanceof ActivityFailure || err instanceof ApplicationFailure)) throw err;
    const why = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : err.message;
    await handOver(j, 'failed', why);
  }

  await condition(allHandlersFinished);
  const result: FulfilmentResult = {
    ...j.status(),
    outcome: j.outcome!,
    finishedAt: j.finishedAt!,
    account: j.account,
    undone: [...j.undone],
    figures: j.figures(),
  };
  await recordExperience(result);
  // Subscribers are told before the journey ends: a delivery still retrying keeps it open.
  await j.events.drain();
  return result;
}

/** Runs one step of the plan with its kind's function (step-kinds.ts). */
async function runStep(j: Journey, step: FulfilmentStep): Promise<StepEnd> {
  const kind = stepKind(step.kind);
  if (!kind) {
    throw ApplicationFailure.create({
      type: 'InvalidPlan',
      message: `unknown step kind ${step.kind}`,
      nonRetryable: true,
    });
  }
  return kind.run(j, step);
}

const experience = proxyActivities<ReturnType<typeof createExperienceActivities>>({
  ...experienceCall,
  summary: 'Record the journey’s experience figures',
});

/** Experience metrics (issue: XLA): best-effort, a metrics outage never fails a journey. */
async function recordExperience(result: FulfilmentResult): Promise<void> {
  try {
    await experience.recordJourneyExperience({
      journeyId: result.workflowId,
      serviceId: result.serviceId,
      requester: result.requester,
      outcome: result.outcome,
      requestedAt: result.requestedAt,
      finishedAt: result.finishedAt,
      ...result.figures,
      nps: null,
      npsComment: null,
    });
  } catch (err) {
    log.warn('experience figures not recorded', { error: err instanceof Error ? err.message : String(err) });
  }
}

/**
 * The saga's end: undo what was created (newest first), give the service desk the request as a
 * ticket (failures only), tell the requester what happens next. Each part is best-effort: a
 * failure is logged and the rest still runs.
 */
async function handOver(j: Journey, outcome: 'failed' | 'cancelled', why: string): Promise<void> {
  const stageLabel = j.current?.label ?? j.plan.title;
  log.warn('journey stopped: compensating', { outcome, stage: j.current?.stage, why });
  await j.compensate();
  if (outcome === 'failed') {
    await bestEffort('service desk ticket', () =>
      acts.openServiceDeskTicket.executeWithOptions(
        j.opts(notification, `Ticket to the service desk: ${j.plan.title} stopped at ${stageLabel}`),
        [
          {
            journey: j.ref,
            contact: j.contact,
            ticket: {
              kind: 'failure',
              stageLabel,
              error: why,
              undone: [...j.undone],
              smsSent: j.smsSent,
              fields: j.fields,
            },
            step: 'failure-ticket',
          },
        ],
      ),
    );
  }
  if (j.contact) {
    await bestEffort('requester notice', () =>
      outcome === 'failed'
        ? j.tell({ kind: 'failed', stageLabel, smsSent: j.smsSent }, 'failed')
        : j.tell({ kind: 'cancelled' }, 'cancelled'),
    );
  }
  j.finish(outcome, why);
}

async function bestEffort(what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof ActivityFailure || err instanceof ApplicationFailure)) throw err;
    log.error(`could not send the ${what}`, { error: err.cause?.message ?? err.message });
  }
}
