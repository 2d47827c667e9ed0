/**
 * Access requests' activities: the approver from the directory's `manager` attribute, the group
 * membership writes (integrations/directory GroupMemberships: add, remove, is member, all
 * idempotent), and the access emails, each at most once per key `<workflowId>/<step>` through
 * the send ledger (delivery.ts), like every other message.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps';
import { deliverEmail } from './delivery';
import { classifyFailures, failureTypes } from './errors';
import type { Told } from './messages/fulfilment';
import { keepAliveAll } from './keep-alive';
import { accessEmail, accessNoticeSummary, type AccessNotice } from './messages/access';

export type { AccessNotice } from './messages/access';

export interface FindAccessApproverInput {
  requester: string;
  fallbackApproverGroup: string;
}
/** The manager when the directory names an enabled one who is not the requester; otherwise the group. */
export type AccessApprover =
  { kind: 'manager'; accountName: string; displayName: string } | { kind: 'group'; group: string };

export interface MayApproveInput {
  accountName: string;
  group: string;
  requester: string;
}

export interface MembershipInput {
  accountName: string;
  group: string;
}

export interface EmailAccessInput {
  /** The recipient's account name, or `service-desk` for the service desk's mailbox. */
  to: string;
  serviceTitle: string;
  notice: AccessNotice;
  /** `<workflowId>/<step>`: once per logical message. */
  key: string;
}

export function createAccessActivities(deps: ActivityDeps) {
  const base = deps.settings.publicUrl.replace(/\/+$/, '');
  const urls = { myAccessUrl: `${base}/access`, consoleUrl: `${base}/access/console` };

  return keepAliveAll({
    /** Who approves `requester`'s access (read-only). */
    async findAccessApprover(input: FindAccessApproverInput): Promise<AccessApprover> {
      const person = await classifyFailures(() => deps.directory.findUser(input.requester));
      if (!person)
        throw ApplicationFailure.create({
          type: failureTypes.NotFound,
          message: `No directory account "${input.requester}"`,
          nonRetryable: true,
        });
      const managerName = person.manager;
      if (managerName && managerName !== person.accountName) {
        const manager = await classifyFailures(() => deps.directory.findUser(managerName));
        if (manager?.enabled)
          return { kind: 'manager', accountName: manager.accountName, displayName: manager.displayName };
      }
      return { kind: 'group', group: input.fallbackApproverGroup };
    },

    /** Whether `accountName` may decide for the fallback group: enabled, in it (nested counts), not the requester. */
    async mayApprove(input: MayApproveInput): Promise<{ ok: boolean; displayName: string }> {
      const user = await classifyFailures(() => deps.directory.findUser(input.accountName));
      if (!user) return { ok: false, displayName: input.accountName };
      const inGroup = user.groups.some((g) => g.toLowerCase() === input.group.toLowerCase());
      return {
        ok: user.enabled && inGroup && user.accountName !== input.requester.toLowerCase(),
        displayName: user.displayName,
      };
    },

    /** Direct member of the group now? (read-only) */
    async isGroupMember(input: MembershipInput): Promise<boolean> {
      return classifyFailures(() => deps.directory.isMember(input.accountName, input.group));
    },

    /** Adds the direct membership; `already-member` also when a retry finds its own first attempt done. */
    async addGroupMember(input: MembershipInput): Promise<'added' | 'already-member'> {
      return classifyFailures(() => deps.directory.addMember(input.accountName, input.group));
    },

    /** Ends the direct membership; `not-a-member` also when a retry finds it done. */
    async removeGroupMember(input: MembershipInput): Promise<'removed' | 'not-a-member'> {
      return classifyFailures(() => deps.directory.removeMember(input.accountName, input.group));
    },

    /** Emails a person (looked up in the directory) or the service desk one access message. */
    async emailAccess(input: EmailAccessInput): Promise<Told> {
      let to: { name: string; address: string };
      let recipientName: string;
      if (input.to === 'service-desk') {
        to = { name: 'IT Service Desk', address: deps.settings.serviceDeskEmail };
        recipientName = 'Service desk';
      } else {
        const user = await classifyFailures(() => deps.directory.findUser(input.to));
        if (!user)
          throw ApplicationFailure.create({
            type: failureTypes.NotFound,
            message: `No directory account "${input.to}"`,
            nonRetryable: true,
          });
        to = { name: user.displayName, address: user.email };
        recipientName = user.givenName || user.displayName;
      }
      const sent = await deliverEmail(deps, {
        to,
        ...accessEmail({ serviceTitle: input.serviceTitle, recipientName, ...urls }, input.notice),
        idempotencyKey: input.key,
      });
      return {
        channel: 'email',
        to: to.address,
        summary: accessNoticeSummary(input.notice),
        alreadySent: sent.alreadySent,
      };
    },
  });
}

export type AccessActivities = ReturnType<typeof createAccessActivities>;
