/**
 * The access step kinds (definitions.ts has their settings): each one unit, registered in
 * workflows/fulfilment/step-kinds.ts. Workflow code: only workflow APIs, the journey's helpers
 * and the access activities' proxy.
 */
import { ApplicationFailure, ParentClosePolicy, condition, proxyActivities, startChild } from '@temporalio/workflow';
import type { AccessActivities } from '../../activities/access';
import type { FulfilmentActivities } from '../../activities/fulfilment';
import { defineStepKind, type StepEnd } from '../fulfilment/step-kind';
import type { Journey } from '../fulfilment/journey';
import { directoryCall, notification } from '../shared/activity-options';
import {
  accessGrantSearchAttributes,
  accessGrantWorkflowId,
  accessGrantWorkflowType,
  resolveUntil,
  type AccessApprovalStep,
  type AccessGrantInput,
  type AccessRoleDefinition,
  type ConfirmAccessStep,
  type GrantAccessStep,
} from './definitions';

export const access = proxyActivities<AccessActivities>(directoryCall);
const fulfilment = proxyActivities<FulfilmentActivities>(notification);

/** Compensations retry a while, then give up and say so in the ticket (as steps.ts). */
const compensationRetry = { maximumAttempts: 10 };

/** What `grant-access` leaves for `confirm-access` (Journey.stepState). */
interface Granted {
  role: string;
  definition: AccessRoleDefinition;
  /** false: they were a member already; this request neither grants nor removes it. */
  ours: boolean;
  since: string;
}
const grantedKey = 'grant-access';

const planBug = (message: string): never => {
  throw ApplicationFailure.create({ type: 'InvalidPlan', message, nonRetryable: true });
};

/** The role asked for, as the plan's grant-access step defines it. */
function roleOf(j: Journey): { role: string; definition: AccessRoleDefinition | null } {
  const role = j.fields.role ?? '';
  const grant = j.plan.steps.find((s): s is GrantAccessStep => s.kind === 'grant-access');
  return { role, definition: grant?.roles[role] ?? null };
}

export const accessApprovalStep = defineStepKind<AccessApprovalStep>({
  kind: 'access-approval',
  stage: 'approval',
  label: 'Waiting for your manager to approve',
  fieldsNeeded: () => ['role', 'reason'],
  problems: (step, before) => [
    ...(typeof step.fallbackApproverGroup !== 'string' || step.fallbackApproverGroup.trim() === ''
      ? ['fallbackApproverGroup must name a directory group']
      : []),
    ...(before.includes('grant-access') ? ['must come before grant-access'] : []),
  ],
  async run(j, step): Promise<StepEnd> {
    j.enter('approval');
    const contact = await j.requester();
    const { role, definition } = roleOf(j);
    const waitSeconds = j.plan.durations.approvalWaitSeconds;
    const until = new Date(Date.now() + waitSeconds * 1000).toISOString();
    const approver = await j.watched(() =>
      access.findAccessApprover.executeWithOptions(
        j.opts(
          directoryCall,
          `Find ${j.ref.requester}'s manager in the directory (else ${step.fallbackApproverGroup})`,
        ),
        [{ requester: j.ref.requester, fallbackApproverGroup: step.fallbackApproverGroup }],
      ),
    );
    const roleLabel = definition?.label ?? role;
    const details = [
      { label: 'Role', value: roleLabel },
      { label: 'Why', value: j.fields.reason ?? '' },
      { label: 'Until', value: j.fields.until?.trim() || 'No end date' },
    ];
    let approverName: string;
    if (approver.kind === 'manager') {
      approverName = approver.displayName;
      await j.watched(() =>
        fulfilment.emailApprover.executeWithOptions(
          j.opts(notification, `Ask ${approver.accountName} (manager) to approve ${roleLabel}, until ${until}`),
          [
            {
              journey: j.ref,
              approver: approver.accountName,
              notice: { kind: 'approval-request', requesterName: contact.displayName, until, details },
              step: 'approval-request',
            },
          ],
        ),
      );
      j.setWaiting({ kind: 'approval', approver: approver.accountName, until });
    } else {
      approverName = `a member of ${approver.group}`;
      await j.watched(() =>
        access.emailAccess.executeWithOptions(
          j.opts(notification, `No manager for ${j.ref.requester}: ask ${approver.group} via the service desk`),
          [
            {
              to: 'service-desk',
              serviceTitle: j.plan.title,
              notice: {
                kind: 'group-approval',
                personName: contact.displayName,
                roleLabel,
                group: approver.group,
                reason: j.fields.reason ?? '',
                until,
              },
              key: `${j.ref.workflowId}/approval-request`,
            },
          ],
        ),
      );
      j.setWaiting({ kind: 'approval', approver: approver.group, until, anyMemberOf: approver.group });
    }
    await j.tell({ kind: 'approval-requested', approverName, until }, 'approval-requested');
    for (;;) {
      const remaining = Math.max(1, Date.parse(until) - Date.now());
      const decided = await condition(() => j.approval !== null, remaining, {
        summary: `Approval by ${approver.kind === 'manager' ? approver.accountName : approver.group}, until ${until}`,
      });
      if (!decided) {
        j.setWaiting(null);
        await j.tell({ kind: 'approval-expired', approverName }, 'approval-expired');
        return { outcome: 'rejected', reason: `No decision by ${approverName} within ${waitSeconds} seconds` };
      }
      const decision = j.approval!;
      if (approver.kind === 'group') {
        // Anyone may send the update; only an enabled member of the group (never the requester) counts.
        const may = await access.mayApprove.executeWithOptions(
          j.opts(directoryCall, `May ${decision.approver} decide for ${approver.group}?`),
          [{ accountName: decision.approver, group: approver.group, requester: j.ref.requester }],
        );
        if (!may.ok) {
          j.approval = null;
          continue;
        }
        approverName = may.displayName;
      }
      j.setWaiting(null);
      if (decision.approve) {
        await j.tell({ kind: 'approved', approverName }, 'approved');
        return null;
      }
      const reason = decision.reason?.trim() ?? '';
      await j.tell({ kind: 'rejected', approverName, reason }, 'rejected');
      return { outcome: 'rejected', reason: `Turned down by ${approverName}: ${reason}` };
    }
  },
});

export const grantAccessStep = defineStepKind<GrantAccessStep>({
  kind: 'grant-access',
  stage: 'granting',
  label: 'Giving you access',
  fieldsNeeded: () => ['role'],
  problems: (step) => {
    const roles = Object.entries(step.roles ?? {});
    if (roles.length === 0) return ['roles: at least one role'];
    return roles.flatMap(([id, r]) =>
      ['group', 'label', 'whatYouCanDo', 'howToStart']
        .filter(
          (k) =>
            typeof r[k as keyof AccessRoleDefinition] !== 'string' || r[k as keyof AccessRoleDefinition].trim() === '',
        )
        .map((k) => `roles.${id}.${k} must not be empty`),
    );
  },
  async run(j, step): Promise<StepEnd> {
    j.enter('granting');
    const role = j.fields.role ?? '';
    const definition = step.roles[role] ?? planBug(`grant-access has no role "${role}"`);
    const who = { accountName: j.ref.requester, group: definition.group };
    // Look before adding: a retried add reports `already-member` for its own first attempt, so
    // only the look tells whether the membership is this request's (to undo, and to end later).
    const before = await j.watched(async () => {
      const was = await access.isGroupMember.executeWithOptions(
        j.opts(directoryCall, `Is ${who.accountName} in ${who.group} already?`),
        [who],
      );
      if (!was)
        await access.addGroupMember.executeWithOptions(
          j.opts(directoryCall, `Add ${who.accountName} to ${who.group} (${definition.label})`),
          [who],
        );
      return was;
    });
    const granted: Granted = { role, definition, ours: !before, since: new Date().toISOString() };
    j.stepState[grantedKey] = granted;
    if (granted.ours) {
      j.compensations.push({
        what: `membership of ${who.group} (removed)`,
        undo: async () => {
          const o = j.opts(directoryCall, `Undo: remove ${who.accountName} from ${who.group}`);
          await access.removeGroupMember.executeWithOptions({ ...o, retry: { ...o.retry, ...compensationRetry } }, [
            who,
          ]);
        },
      });
    }
    return null;
  },
});

export const confirmAccessStep = defineStepKind<ConfirmAccessStep>({
  kind: 'confirm-access',
  stage: 'access-ready',
  label: 'Telling you what you can do now',
  problems: (step, before) => [
    ...(before.includes('grant-access') ? [] : ['needs a grant-access step before it']),
    ...(Number.isInteger(step.reminderDaysBefore) && step.reminderDaysBefore >= 0
      ? []
      : ['reminderDaysBefore: 0 or more']),
    ...(Number.isInteger(step.maxDays) && step.maxDays >= 1 ? [] : ['maxDays: 1 or more']),
    ...(typeof step.dayLengthSeconds === 'number' && step.dayLengthSeconds >= 1 ? [] : ['dayLengthSeconds: 1 or more']),
    ...(typeof step.fallbackApproverGroup === 'string' && step.fallbackApproverGroup.trim() !== ''
      ? []
      : ['fallbackApproverGroup must name a directory group']),
  ],
  async run(j, step): Promise<StepEnd> {
    j.enter('access-ready');
    const granted = (j.stepState[grantedKey] as Granted | undefined) ?? planBug('confirm-access needs grant-access');
    const resolved = resolveUntil(j.fields.until, Date.now(), step.dayLengthSeconds);
    // A date that passed while the request waited for approval: the access ends at once.
    const until = resolved === null ? new Date(Date.now() + 1000).toISOString() : resolved.until;
    const d = granted.definition;
    const told = await j.watched(() =>
      access.emailAccess.executeWithOptions(j.opts(notification, `Email ${j.ref.requester}: you now have ${d.label}`), [
        {
          to: j.ref.requester,
          serviceTitle: j.plan.title,
          notice: {
            kind: 'granted',
            roleLabel: d.label,
            whatYouCanDo: d.whatYouCanDo,
            howToStart: d.howToStart,
            until,
          },
          key: `${j.ref.workflowId}/access-granted`,
        },
      ]),
    );
    j.record(told);
    if (!granted.ours) return null;
    const { kind: _kind, ...settings } = step;
    const input: AccessGrantInput = {
      grantId: accessGrantWorkflowId(j.plan.serviceId, j.ref.requestId),
      requestWorkflowId: j.ref.workflowId,
      serviceId: j.plan.serviceId,
      serviceTitle: j.plan.title,
      person: j.ref.requester,
      role: granted.role,
      roleLabel: d.label,
      group: d.group,
      since: granted.since,
      until,
      reason: j.fields.reason ?? '',
      settings: { ...settings, approvalWaitSeconds: j.plan.durations.approvalWaitSeconds },
      extensions: [],
      remindedFor: null,
      runs: 0,
      ...(j.input.retryInitialIntervalMs !== undefined
        ? { retryInitialIntervalMs: j.input.retryInitialIntervalMs }
        : {}),
    };
    // The grant outlives this request (ABANDON): it is what "My access" lists and what ends it.
    await startChild(accessGrantWorkflowType, {
      workflowId: input.grantId,
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: accessGrantSearchAttributes(input, 'active'),
      staticSummary: `${d.label} for ${j.ref.requester}${until ? ` until ${until}` : ''}`,
    });
    return null;
  },
});
