/**
 * One function per step kind of a service plan (definitions.ts `FulfilmentStep`). A step either
 * returns `null` (go on) or how the journey ends; a permanent failure throws (an
 * `ActivityFailure`) and the workflow runs the saga. Each registers the undo of what it creates.
 */
import { ApplicationFailure, condition } from '@temporalio/workflow';
import { cmdbCall, directoryCall, notification, provisioning } from '../shared/activity-options';
import { deviceOsLabels, maskPhone, stageOfStep, type FulfilmentOutcome, type FulfilmentStep } from './definitions';
import { acts, nowIso, type Journey } from './journey';

import { registeredStepKind } from './step-kinds';
import type { StepEnd } from './step-kind';

export type { StepEnd } from './step-kind';

const end = (outcome: FulfilmentOutcome, reason: string): StepEnd => ({ outcome, reason });

/** Compensations retry a while, then give up and say so in the ticket: a journey must end. */
const compensationRetry = { maximumAttempts: 10 };

const inSeconds = (seconds: number): string => new Date(Date.now() + seconds * 1000).toISOString();

function planBug(message: string): never {
  throw ApplicationFailure.create({ type: 'InvalidPlan', message, nonRetryable: true });
}

/** Runs one step of the plan. */
export async function runStep(j: Journey, step: FulfilmentStep): Promise<StepEnd> {
  switch (step.kind) {
    case 'acknowledge':
      return acknowledge(j);
    case 'check-eligibility':
      return checkEligibility(j);
    case 'approval':
      return approval(j, step);
    case 'verify-device':
      return verifyDevice(j, step);
    case 'send-download-link':
      return sendDownloadLink(j, step);
    case 'provision-account':
      return provisionAccount(j, step);
    case 'send-quick-start':
      return sendQuickStart(j);
    case 'manual-task':
      return manualTask(j, step);
    default: {
      const registered = registeredStepKind(step.kind) ?? planBug(`unknown step kind ${step.kind}`);
      return registered.run(j, step);
    }
  }
}

async function acknowledge(j: Journey): Promise<StepEnd> {
  j.enter(stageOfStep.acknowledge.stage);
  const nextSteps = j.stages.filter((s) => s.stage !== stageOfStep.acknowledge.stage).map((s) => s.label);
  // One watch (one timer) for the whole step.
  const told = await j.watched(async () => {
    const contact = await j.requester({ watch: false });
    return acts.sendReceiptEmail.executeWithOptions(j.opts(notification, `Receipt email to ${contact.email}`), [
      { journey: j.ref, contact, nextSteps },
    ]);
  });
  j.record(told);
  return null;
}

async function checkEligibility(j: Journey): Promise<StepEnd> {
  j.enter(stageOfStep['check-eligibility'].stage);
  const rule = j.plan.eligibility;
  const groups = rule.anyOfGroups.length > 0 ? `member of ${rule.anyOfGroups.join(' or ')}` : 'anyone';
  const verdict = await j.watched(() =>
    acts.checkEligibility.executeWithOptions(
      j.opts(
        directoryCall,
        `Check ${j.ref.requester} may have ${j.plan.title} (${groups}${rule.requireEnabled ? ', enabled' : ''})`,
      ),
      [{ accountName: j.ref.requester, rule }],
    ),
  );
  if (verdict.eligible) return null;
  await j.tell({ kind: 'not-eligible', reasons: verdict.reasons, howToGetAccess: rule.howToGetAccess }, 'not-eligible');
  return end('not-eligible', verdict.reasons.join(' '));
}

async function approval(j: Journey, step: Extract<FulfilmentStep, { kind: 'approval' }>): Promise<StepEnd> {
  j.enter(stageOfStep.approval.stage);
  const contact = await j.requester();
  const named = (j.fields[step.approverField] ?? '').trim().toLowerCase();
  const waitSeconds = j.plan.durations.approvalWaitSeconds;
  const until = inSeconds(waitSeconds);
  const details = Object.entries(j.fields)
    .filter(([k]) => k !== step.approverField)
    .map(([label, value]) => ({ label, value: /phone|mobile/i.test(label) ? maskPhone(value) : value }));
  const asked = await j.watched(() =>
    acts.requestApproval.executeWithOptions(
      j.opts(notification, `Ask ${named} (${step.approverGroup}) to approve, until ${until}`),
      [{ journey: j.ref, requester: contact, approver: named, approverGroup: step.approverGroup, until, details }],
    ),
  );
  if (!asked.ok) {
    await j.tell({ kind: 'approver-invalid', approver: named, reason: asked.reason }, 'approver-invalid');
    return end('rejected', asked.reason);
  }
  const approverName = asked.approver.displayName;
  // Waiting before telling the requester: a quick approver must not find the door closed.
  j.setWaiting({ kind: 'approval', approver: asked.approver.accountName, until });
  await j.tell({ kind: 'approval-requested', approverName, until }, 'approval-requested');
  const remaining = Math.max(1, Date.parse(until) - Date.now());
  const decided = await condition(() => j.approval !== null, remaining, {
    summary: `Approval by ${asked.approver.accountName}, turned down automatically at ${until}`,
  });
  j.setWaiting(null);
  if (!decided) {
    await j.tell({ kind: 'approval-expired', approverName }, 'approval-expired');
    await acts.emailApprover.executeWithOptions(
      j.opts(notification, `Tell ${asked.approver.accountName} the request expired`),
      [
        {
          journey: j.ref,
          approver: asked.approver.accountName,
          notice: { kind: 'approval-expired', requesterName: contact.displayName, details },
          step: 'approval-expired-approver',
        },
      ],
    );
    return end('rejected', `No decision by ${approverName} within ${waitSeconds} seconds`);
  }
  const decision = j.approval!;
  if (decision.approve) {
    await j.tell({ kind: 'approved', approverName }, 'approved');
    return null;
  }
  const reason = decision.reason?.trim() ?? '';
  await j.tell({ kind: 'rejected', approverName, reason }, 'rejected');
  return end('rejected', `Turned down by ${approverName}: ${reason}`);
}

async function verifyDevice(j: Journey, step: Extract<FulfilmentStep, { kind: 'verify-device' }>): Promise<StepEnd> {
  j.enter(stageOfStep['verify-device'].stage);
  for (;;) {
    const phone = j.fields.phone ?? planBug('verify-device needs the form field phone');
    const check = await j.watched(() =>
      acts.findRegisteredDevice.executeWithOptions(
        j.opts(cmdbCall, `Find ${maskPhone(phone)} in the CMDB, registered to ${j.ref.requester}`),
        [{ accountName: j.ref.requester, phone }],
      ),
    );
    if (check.status === 'registered') {
      // The CMDB knows the device: its OS decides which link works, whatever was ticked.
      j.device = { phone: check.phone, maskedPhone: check.maskedPhone, os: check.os };
      return null;
    }
    if (j.corrections >= step.maxCorrections) {
      await j.tell(
        { kind: 'device-not-verified', phone: check.maskedPhone, why: 'too-many-attempts' },
        'device-not-verified',
      );
      return end('device-not-registered', check.reason);
    }
    const until = inSeconds(j.plan.durations.correctionWaitSeconds);
    const attempt = j.corrections + 1;
    j.correction = null;
    j.setWaiting({ kind: 'device-correction', phone: check.maskedPhone, reason: check.reason, until, attempt });
    await j.tell(
      {
        kind: 'device-not-registered',
        phone: check.maskedPhone,
        reason: check.reason,
        until,
        attemptsLeft: step.maxCorrections - attempt,
      },
      `device-not-registered-${attempt}`,
    );
    const remaining = Math.max(1, Date.parse(until) - Date.now());
    const corrected = await condition(() => j.correction !== null, remaining, {
      summary: `Phone number correction ${attempt} from ${j.ref.requester}, until ${until}`,
    });
    j.setWaiting(null);
    if (!corrected) {
      await j.tell({ kind: 'device-not-verified', phone: check.maskedPhone, why: 'expired' }, 'device-not-verified');
      return end('device-not-registered', `${check.reason} No corrected number by ${until}.`);
    }
    const c = j.correction!;
    j.corrections = attempt;
    j.fields.phone = c.phone.trim();
    if (c.os) j.fields.os = c.os;
    j.userInputs += 1;
    j.cameBack = true;
  }
}

async function sendDownloadLink(
  j: Journey,
  step: Extract<FulfilmentStep, { kind: 'send-download-link' }>,
): Promise<StepEnd> {
  j.enter(stageOfStep['send-download-link'].stage);
  const device = j.device ?? planBug('send-download-link needs a verified device');
  const link = step.links[device.os];
  const told = await j.watched(() =>
    acts.sendDownloadLink.executeWithOptions(
      j.opts(notification, `SMS download link to ${device.maskedPhone} (${deviceOsLabels[device.os]})`),
      [{ journey: j.ref, phone: device.phone, os: device.os, link }],
    ),
  );
  j.smsSent = true;
  j.record(told);
  return null;
}

async function provisionAccount(
  j: Journey,
  step: Extract<FulfilmentStep, { kind: 'provision-account' }>,
): Promise<StepEnd> {
  j.enter(stageOfStep['provision-account'].stage);
  const contact = await j.requester();
  // One watch (one timer) for the look-up and the creation.
  const { before, account } = await j.watched(async () => {
    const before = await acts.findExistingAccount.executeWithOptions(
      j.opts(provisioning, `Does ${contact.email} have a ${step.applicationId} account already? (SCIM)`),
      [{ applicationId: step.applicationId, userName: contact.email }],
    );
    const account = await acts.provisionAccount.executeWithOptions(
      j.opts(provisioning, `Create ${contact.email}'s ${step.applicationId} account (SCIM)`),
      [{ journey: j.ref, applicationId: step.applicationId, contact }],
    );
    return { before, account };
  });
  j.account = account;
  // Undo restores what was there before: an account the person had and used stays theirs; one
  // this journey created (even if a retry reports it as found) or switched back on goes off again.
  const ours =
    before === null
      ? account.created || account.userName.toLowerCase() === contact.email.toLowerCase()
      : !before.active;
  if (ours) {
    j.compensations.push({
      what: `${step.applicationId} account ${account.userName} (deactivated)`,
      undo: () => {
        const o = j.opts(provisioning, `Undo: deactivate ${account.userName}'s ${step.applicationId} account`);
        return acts.deactivateAccount.executeWithOptions({ ...o, retry: { ...o.retry, ...compensationRetry } }, [
          { applicationId: step.applicationId, accountId: account.accountId },
        ]);
      },
    });
  }
  return null;
}

async function sendQuickStart(j: Journey): Promise<StepEnd> {
  j.enter(stageOfStep['send-quick-start'].stage);
  const contact = await j.requester();
  const account = j.account ?? planBug('send-quick-start needs a provisioned account');
  const told = await j.watched(() =>
    acts.emailQuickStart.executeWithOptions(
      j.opts(notification, `Login id and quick-start guide to ${contact.email}`),
      [{ journey: j.ref, contact, loginId: account.userName }],
    ),
  );
  j.record(told);
  return null;
}

async function manualTask(j: Journey, step: Extract<FulfilmentStep, { kind: 'manual-task' }>): Promise<StepEnd> {
  j.enter(stageOfStep['manual-task'].stage, step.task);
  const contact = await j.requester();
  const since = nowIso();
  await j.watched(() =>
    acts.openServiceDeskTicket.executeWithOptions(j.opts(notification, `Ticket to the service desk: ${step.task}`), [
      { journey: j.ref, contact, ticket: { kind: 'task', task: step.task, fields: j.fields }, step: 'task-ticket' },
    ]),
  );
  j.delivered = null;
  j.setWaiting({ kind: 'manual-task', task: step.task, since });
  await j.tell({ kind: 'task-booked', task: step.task }, 'task-booked');
  const reminderSeconds = j.plan.durations.taskReminderSeconds;
  const done =
    reminderSeconds > 0
      ? await condition(() => j.delivered !== null, reminderSeconds * 1000, {
          summary: `Service desk: ${step.task}; reminder after ${reminderSeconds}s`,
        })
      : false;
  if (!done) {
    if (reminderSeconds > 0) {
      await acts.openServiceDeskTicket.executeWithOptions(
        j.opts(notification, `Reminder to the service desk: ${step.task}`),
        [
          {
            journey: j.ref,
            contact,
            ticket: { kind: 'task-reminder', task: step.task, since, fields: j.fields },
            step: 'task-reminder',
          },
        ],
      );
      await j.tellTakingLonger();
    }
    await condition(() => j.delivered !== null);
  }
  j.setWaiting(null);
  const delivered = j.delivered!;
  await j.tell(
    { kind: 'task-done', task: step.task, doneMessage: step.doneMessage, note: delivered.note },
    'task-done',
  );
  return null;
}
