/**
 * The built-in step kinds, each one unit (step-kind.ts): its kind, stage and label, the form
 * fields it reads, what makes its settings wrong, and its function; registered in step-kinds.ts
 * like every other kind. Their settings types are in definitions.ts. A step either returns
 * `null` (go on) or how the journey ends; a permanent failure throws (an `ActivityFailure`) and
 * the workflow runs the saga. Each registers the undo of what it creates.
 */
import { ApplicationFailure, condition } from '@temporalio/workflow';
import { cmdbCall, directoryCall, notification, provisioning } from '../shared/activity-options';
import {
  deviceOsLabels,
  type AcknowledgeStep,
  type ApprovalStep,
  type CheckEligibilityStep,
  type FulfilmentOutcome,
  type ManualTaskStep,
  type ProvisionAccountStep,
  type SendDownloadLinkStep,
  type SendQuickStartStep,
  type VerifyDeviceStep,
} from './definitions';
import { acts, nowIso, type Journey } from './journey';
import { defineStepKind, type StepEnd } from './step-kind';
import { maskPhone } from '../../config/mask';

export type { StepEnd } from './step-kind';

const end = (outcome: FulfilmentOutcome, reason: string): StepEnd => ({ outcome, reason });

/** Compensations retry a while, then give up and say so in the ticket: a journey must end. */
const compensationRetry = { maximumAttempts: 10 };

const inSeconds = (seconds: number): string => new Date(Date.now() + seconds * 1000).toISOString();

function planBug(message: string): never {
  throw ApplicationFailure.create({ type: 'InvalidPlan', message, nonRetryable: true });
}

export const acknowledgeStep = defineStepKind<AcknowledgeStep>({
  kind: 'acknowledge',
  stage: 'received',
  label: 'Request received',
  run: acknowledge,
});

export const checkEligibilityStep = defineStepKind<CheckEligibilityStep>({
  kind: 'check-eligibility',
  stage: 'eligibility',
  label: 'Checking you can have it',
  run: checkEligibility,
});

export const approvalStep = defineStepKind<ApprovalStep>({
  kind: 'approval',
  stage: 'approval',
  label: 'Waiting for approval',
  fieldsNeeded: (step) => [step.approverField],
  problems: (step) => [
    ...(typeof step.approverGroup !== 'string' || step.approverGroup.trim() === ''
      ? ['approverGroup must name a directory group']
      : []),
    ...(typeof step.approverField !== 'string' || step.approverField === ''
      ? ['approverField must name a form field']
      : []),
  ],
  run: approval,
});

export const verifyDeviceStep = defineStepKind<VerifyDeviceStep>({
  kind: 'verify-device',
  stage: 'device-check',
  label: 'Checking your phone is registered to you',
  fieldsNeeded: () => ['phone', 'os'],
  problems: (step) =>
    !Number.isInteger(step.maxCorrections) || step.maxCorrections < 0 || step.maxCorrections > 10
      ? ['maxCorrections 0–10']
      : [],
  run: verifyDevice,
});

export const sendDownloadLinkStep = defineStepKind<SendDownloadLinkStep>({
  kind: 'send-download-link',
  stage: 'download-link',
  label: 'Texting you the download link',
  problems: (step, before) => [
    ...(before.includes('verify-device') ? [] : ['needs a verify-device step before it']),
    ...(['ios', 'android'] as const)
      .filter((os) => typeof step.links?.[os] !== 'string' || !/^https?:\/\//.test(step.links[os]))
      .map((os) => `links.${os} must be an http(s) URL`),
  ],
  run: sendDownloadLink,
});

export const provisionAccountStep = defineStepKind<ProvisionAccountStep>({
  kind: 'provision-account',
  stage: 'provisioning',
  label: 'Creating your account',
  problems: (step) =>
    typeof step.applicationId !== 'string' || step.applicationId === ''
      ? ['applicationId must name the SCIM application']
      : [],
  run: provisionAccount,
});

export const sendQuickStartStep = defineStepKind<SendQuickStartStep>({
  kind: 'send-quick-start',
  stage: 'quick-start',
  label: 'Emailing your login details',
  problems: (_step, before) =>
    before.includes('provision-account') ? [] : ['needs a provision-account step before it'],
  run: sendQuickStart,
});

export const manualTaskStep = defineStepKind<ManualTaskStep>({
  kind: 'manual-task',
  stage: 'delivery',
  label: 'With the service desk',
  labelOf: (step) => step.task,
  problems: (step) => [
    ...(typeof step.task !== 'string' || step.task.trim() === '' ? ['task must say what the person does'] : []),
    ...(typeof step.doneMessage !== 'string' || step.doneMessage.trim() === ''
      ? ['doneMessage must not be empty']
      : []),
  ],
  run: manualTask,
});

/** The built-in kinds, for the registry (step-kinds.ts). */
export const builtInStepKinds = [
  acknowledgeStep,
  checkEligibilityStep,
  approvalStep,
  verifyDeviceStep,
  sendDownloadLinkStep,
  provisionAccountStep,
  sendQuickStartStep,
  manualTaskStep,
] as const;

async function acknowledge(j: Journey): Promise<StepEnd> {
  j.enter(acknowledgeStep.stage);
  const nextSteps = j.stages.filter((s) => s.stage !== acknowledgeStep.stage).map((s) => s.label);
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
  j.enter(checkEligibilityStep.stage);
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

async function approval(j: Journey, step: ApprovalStep): Promise<StepEnd> {
  j.enter(approvalStep.stage);
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

async function verifyDevice(j: Journey, step: VerifyDeviceStep): Promise<StepEnd> {
  j.enter(verifyDeviceStep.stage);
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

async function sendDownloadLink(j: Journey, step: SendDownloadLinkStep): Promise<StepEnd> {
  j.enter(sendDownloadLinkStep.stage);
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

async function provisionAccount(j: Journey, step: ProvisionAccountStep): Promise<StepEnd> {
  j.enter(provisionAccountStep.stage);
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
  j.enter(sendQuickStartStep.stage);
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

async function manualTask(j: Journey, step: ManualTaskStep): Promise<StepEnd> {
  j.enter(manualTaskStep.stage, step.task);
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
