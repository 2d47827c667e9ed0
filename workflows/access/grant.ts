/**
 * A granted role, kept until it ends (type `accessGrantWorkflow`, id `access-<serviceId>-<requestId>`,
 * started by the `confirm-access` step). It waits, durably, until the end date (none: until
 * someone ends it), reminding the person some days before with links to extend or end it; takes
 * extension requests (approved again by the manager, or the fallback group; the same request id
 * twice counts once) and early ends (the person, or IT staff); at the end removes the directory
 * membership, retrying until it is gone (the service desk is told if it keeps failing), and
 * tells the person and their manager. Months of waiting are a few timers; continue-as-new when
 * the history grows (extensions, reminders, or a removal failing for months) carries the state over.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AccessActivities } from '../../activities/access';
import type { AccessNotice } from '../../activities/messages/access';
import { directoryCall, notification, withRetryInterval } from '../shared/activity-options';
import { AccessEndsAt, Stage } from '../shared/search-attributes';
import {
  accessRemovalContinuesAsNewPatch,
  accessStatusQuery,
  decideExtensionUpdate,
  endAccessUpdate,
  extendAccessUpdate,
  resolveUntil,
  validateDecideExtension,
  validateEndAccess,
  validateExtendAccess,
  type AccessExtension,
  type AccessGrantInput,
  type AccessGrantState,
  type AccessGrantStatus,
  type AccessValidationContext,
  type DecideExtensionInput,
  type EndAccessInput,
  type ExtendAccessInput,
} from './definitions';

const acts = proxyActivities<AccessActivities>(directoryCall);

/** A removal attempt gives up after this many tries; then the desk is told, and it starts over. */
const removalAttemptsBeforeTelling = 5;
/** Continue-as-new past this many history events (well under Temporal's warning at 10 240). */
const historyLimit = 2_000;
/** A grant without an end date still wakes this often. */
const openEndedWakeMs = 7 * 24 * 3600_000;

export async function accessGrantWorkflow(input: AccessGrantInput): Promise<AccessGrantStatus> {
  const g: AccessGrantInput = { ...input, extensions: input.extensions.map((e) => ({ ...e })) };
  const opts = (preset: typeof directoryCall, summary: string) => ({
    ...withRetryInterval(preset, g.retryInitialIntervalMs),
    summary,
  });
  const day = g.settings.dayLengthSeconds * 1000;
  // A run continued as new while removing the membership resumes the removal.
  let state: AccessGrantState = g.ending ? 'ending' : 'active';
  let endReason: string | null = g.ending?.endReason ?? null;
  let endedAt: string | null = null;
  let endRequest: EndAccessInput | null = null;
  let decision: DecideExtensionInput | null = null;
  let removalFailures = g.ending?.removalFailures ?? 0;
  const pending = (): AccessExtension | null => g.extensions.find((e) => e.state === 'pending') ?? null;

  const status = (): AccessGrantStatus => ({
    grantId: g.grantId,
    requestWorkflowId: g.requestWorkflowId,
    serviceId: g.serviceId,
    serviceTitle: g.serviceTitle,
    person: g.person,
    role: g.role,
    roleLabel: g.roleLabel,
    group: g.group,
    since: g.since,
    until: g.until,
    state,
    endReason,
    endedAt,
    pendingExtension: pending(),
    extensions: g.extensions.map((e) => ({ ...e })),
    reminderSent: g.remindedFor !== null && g.remindedFor === g.until,
    removalFailures,
  });
  const ctx = (): AccessValidationContext => ({
    person: g.person,
    state,
    until: g.until,
    pending: pending(),
    extensions: g.extensions,
    nowMs: Date.now(),
    settings: g.settings,
  });

  // Every handler is set before the first await: an update that came with the start
  // (update-with-start, or sent as it started) waits in the SDK until its handler is set and runs
  // there, so the wait below already knows of an end or an extension asked that early.
  setHandler(accessStatusQuery, status);
  setHandler(
    extendAccessUpdate,
    (ask) => {
      const seen = g.extensions.find((e) => e.requestId === ask.requestId);
      if (seen) return { extension: { ...seen }, created: false };
      // The validator proved it resolves to a future end.
      const until = resolveUntil(ask.until, Date.now(), g.settings.dayLengthSeconds)?.until ?? '';
      const extension: AccessExtension = {
        requestId: ask.requestId,
        until,
        reason: ask.reason.trim(),
        askedAt: new Date().toISOString(),
        approver: null,
        anyMemberOf: null,
        state: 'pending',
      };
      g.extensions.push(extension);
      return { extension: { ...extension }, created: true };
    },
    { validator: (ask: ExtendAccessInput) => validateExtendAccess(ctx(), ask) },
  );
  setHandler(
    decideExtensionUpdate,
    (d) => {
      decision = { approver: d.approver.trim().toLowerCase(), approve: d.approve, reason: d.reason?.trim() || null };
      return { decision: d.approve ? 'approved' : 'rejected' };
    },
    { validator: (d: DecideExtensionInput) => validateDecideExtension(ctx(), d) },
  );
  setHandler(
    endAccessUpdate,
    (e) => {
      endRequest = { by: e.by.trim().toLowerCase(), staff: e.staff, reason: e.reason?.trim() || null };
      state = 'ending';
      return { ending: true };
    },
    { validator: (e: EndAccessInput) => validateEndAccess(ctx(), e) },
  );

  const email = async (to: string, notice: AccessNotice, step: string): Promise<void> => {
    await acts.emailAccess.executeWithOptions(opts(notification, `Email ${to}: ${notice.kind}`), [
      { to, serviceTitle: g.serviceTitle, notice, key: `${g.grantId}/${step}` },
    ]);
  };
  /** Courtesy messages never stop the grant from ending. */
  const bestEffort = async (what: string, run: () => Promise<unknown>): Promise<void> => {
    try {
      await run();
    } catch (err) {
      if (!(err instanceof ActivityFailure || err instanceof ApplicationFailure)) throw err;
      log.warn(`could not send ${what}`, { error: err.cause?.message ?? err.message });
    }
  };
  const showEnd = () =>
    upsertSearchAttributes([
      { key: Stage, value: state },
      ...(g.until ? [{ key: AccessEndsAt, value: new Date(g.until) }] : []),
    ]);

  /** Asks for (and waits on) the pending extension's approval; returns when it is decided or expires. */
  async function decideExtension(ext: AccessExtension): Promise<void> {
    // A decision may arrive as soon as the approver is known (while the emails go out).
    decision = null;
    const approver = await acts.findAccessApprover.executeWithOptions(
      opts(directoryCall, `Find ${g.person}'s manager for the extension (else ${g.settings.fallbackApproverGroup})`),
      [{ requester: g.person, fallbackApproverGroup: g.settings.fallbackApproverGroup }],
    );
    const decideBy = new Date(
      Math.min(Date.now() + g.settings.approvalWaitSeconds * 1000, g.until ? Date.parse(g.until) : Infinity),
    ).toISOString();
    const step = `extension-${ext.requestId}`;
    if (approver.kind === 'manager') {
      ext.approver = approver.accountName;
      await email(
        approver.accountName,
        {
          kind: 'extension-approval',
          personName: g.person,
          roleLabel: g.roleLabel,
          until: ext.until,
          reason: ext.reason,
          decideBy,
        },
        `${step}-approver`,
      );
    } else {
      // No manager: the service desk is asked; a member of the group decides on the portal.
      ext.approver = approver.group;
      ext.anyMemberOf = approver.group;
      await email(
        'service-desk',
        {
          kind: 'group-approval',
          personName: g.person,
          roleLabel: g.roleLabel,
          group: approver.group,
          reason: ext.reason,
          until: decideBy,
        },
        `${step}-approver`,
      );
    }
    await bestEffort('the extension-asked email', () =>
      email(
        g.person,
        {
          kind: 'extension-asked',
          roleLabel: g.roleLabel,
          until: ext.until,
          approverName: approver.kind === 'manager' ? approver.displayName : `a member of ${approver.group}`,
        },
        `${step}-asked`,
      ),
    );
    for (;;) {
      const decided = await condition(
        () => decision !== null || endRequest !== null,
        Math.max(1, Date.parse(decideBy) - Date.now()),
        {
          summary: `Extension of ${g.roleLabel} for ${g.person}: decision by ${decideBy}`,
        },
      );
      if (endRequest) {
        ext.state = 'expired';
        return;
      }
      if (!decided) {
        ext.state = 'expired';
        await bestEffort('the extension-expired email', () =>
          email(
            g.person,
            { kind: 'extension-rejected', roleLabel: g.roleLabel, reason: 'No decision in time.' },
            `${step}-expired`,
          ),
        );
        return;
      }
      const d = decision!;
      if (approver.kind === 'group') {
        const may = await acts.mayApprove.executeWithOptions(
          opts(directoryCall, `May ${d.approver} decide for ${approver.group}?`),
          [{ accountName: d.approver, group: approver.group, requester: g.person }],
        );
        if (!may.ok) {
          decision = null;
          continue;
        }
      }
      ext.approver = d.approver;
      if (d.approve) {
        ext.state = 'approved';
        g.until = ext.until;
        showEnd();
        await bestEffort('the extension-approved email', () =>
          email(g.person, { kind: 'extension-approved', roleLabel: g.roleLabel, until: ext.until }, `${step}-approved`),
        );
      } else {
        ext.state = 'rejected';
        await bestEffort('the extension-rejected email', () =>
          email(
            g.person,
            { kind: 'extension-rejected', roleLabel: g.roleLabel, reason: d.reason ?? '' },
            `${step}-rejected`,
          ),
        );
      }
      return;
    }
  }

  const historyTooLong = () =>
    workflowInfo().continueAsNewSuggested ||
    workflowInfo().historyLength > (g.continueAsNewAfterEvents ?? historyLimit);

  // The wait: until the end, the reminder, a request, or a history long enough to start afresh.
  for (;;) {
    if (endRequest || g.ending) break;
    const ext = pending();
    if (ext) {
      await decideExtension(ext);
      continue;
    }
    if (g.until !== null && Date.now() >= Date.parse(g.until)) break;
    if (historyTooLong()) {
      await condition(allHandlersFinished);
      if (!endRequest && !pending()) await continueAsNew<typeof accessGrantWorkflow>({ ...g, runs: g.runs + 1 });
      continue;
    }
    const reminderAt = g.until === null ? null : Date.parse(g.until) - g.settings.reminderDaysBefore * day;
    const remindNow = g.until !== null && g.remindedFor !== g.until && reminderAt !== null && Date.now() >= reminderAt;
    if (remindNow) {
      const until = g.until!;
      g.remindedFor = until;
      await bestEffort('the reminder', () =>
        email(g.person, { kind: 'reminder', roleLabel: g.roleLabel, until }, `reminder-${until}`),
      );
      continue;
    }
    const wakeAt = g.until === null ? null : g.remindedFor === g.until ? Date.parse(g.until) : reminderAt!;
    const wake = () => endRequest !== null || pending() !== null;
    // No end date: wake once a week anyway (a timer, as for a dated grant) to look at the history's length.
    await condition(wake, wakeAt === null ? openEndedWakeMs : Math.max(1, wakeAt - Date.now()), {
      summary:
        wakeAt === null
          ? `${g.roleLabel} for ${g.person}: no end date`
          : `${g.roleLabel} for ${g.person} until ${g.until}${g.remindedFor === g.until ? '' : ', reminder first'}`,
    });
  }

  // The end: remove the membership, retrying until it is gone; never dropped.
  state = 'ending';
  const end = endRequest as EndAccessInput | null;
  endReason =
    g.ending?.endReason ??
    (end
      ? `Ended early by ${end.staff && end.by !== g.person ? `IT staff (${end.by})` : 'you'}${end.reason ? `: ${end.reason}` : ''}`
      : `It reached its end date (${g.until}).`);
  showEnd();
  let deskTold = g.ending?.deskTold ?? false;
  for (;;) {
    try {
      const o = opts(directoryCall, `Remove ${g.person} from ${g.group} (${g.roleLabel} ends)`);
      await acts.removeGroupMember.executeWithOptions(
        { ...o, retry: { ...o.retry, maximumAttempts: removalAttemptsBeforeTelling } },
        [{ accountName: g.person, group: g.group }],
      );
      break;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      removalFailures += 1;
      const why = err.cause?.message ?? err.message;
      log.error('access removal keeps failing: retrying', { grantId: g.grantId, error: why });
      if (!deskTold) {
        deskTold = true;
        await bestEffort('the removal-failing ticket', () =>
          email(
            'service-desk',
            { kind: 'removal-failing', personName: g.person, roleLabel: g.roleLabel, group: g.group, error: why },
            'removal-failing',
          ),
        );
      }
      // Space the rounds out (a directory down for hours costs a few events per round).
      await sleep(
        g.retryInitialIntervalMs ? g.retryInitialIntervalMs * 4 : Math.min(60_000 * removalFailures, 15 * 60_000),
      );
      // Down for months: a dozen events per round, so start afresh, still ending (patched:
      // grants removing when this shipped replay the loop that only retried).
      if (historyTooLong() && patched(accessRemovalContinuesAsNewPatch)) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof accessGrantWorkflow>({
          ...g,
          runs: g.runs + 1,
          ending: { endReason, deskTold, removalFailures },
        });
      }
    }
  }
  state = 'ended';
  const why: string = endReason;
  endedAt = new Date().toISOString();
  upsertSearchAttributes([{ key: Stage, value: 'ended' }]);
  await bestEffort('the ended email', () => email(g.person, { kind: 'ended', roleLabel: g.roleLabel, why }, 'ended'));
  const manager = await acts.findAccessApprover
    .executeWithOptions(opts(directoryCall, `Find ${g.person}'s manager to tell them`), [
      { requester: g.person, fallbackApproverGroup: g.settings.fallbackApproverGroup },
    ])
    .catch(() => null);
  if (manager?.kind === 'manager') {
    await bestEffort('the manager email', () =>
      email(
        manager.accountName,
        { kind: 'report-ended', personName: g.person, roleLabel: g.roleLabel, why },
        'ended-manager',
      ),
    );
  }
  await condition(allHandlersFinished);
  return status();
}
