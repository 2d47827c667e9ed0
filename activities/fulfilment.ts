/**
 * The request-fulfilment journey's activities: thin calls to the directory, the CMDB, SCIM
 * provisioning, email and SMS, each named for what it does.
 *
 * Retries: transient failures (unreachable, 5xx, 429) are rethrown and retried by Temporal with
 * the workflow's preset; permanent ones become non-retryable `ApplicationFailure`s (see
 * errors.ts) and send the journey down its failure path.
 *
 * Idempotency: reads are safe to repeat; `provisionAccount` is SCIM `ensureAccount` (finds the
 * account by externalId before creating one) and `deactivateAccount` is a PATCH active=false;
 * every message goes through deliverEmail/deliverSms with the key `<workflowId>/<step>`, so a
 * retried activity, or a worker killed between the send and its completion, sends nothing twice.
 *
 * Liveness: every activity heartbeats while it runs (keep-alive.ts), so the attempt of a worker
 * that died is retried within seconds.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps';
import { deliverEmail, deliverSms } from './delivery';
import { classifyFailures, failureTypes } from './errors';
import { keepAliveAll } from './keep-alive';
import * as messages from './messages/fulfilment';
import type {
  ApproverNotice,
  JourneyRef,
  RequesterContact,
  RequesterNotice,
  ServiceDeskTicket,
  Told,
} from './messages/fulfilment';
import { evaluateEligibility } from '../catalog/eligibility';
import type { RenderedMessage } from '../integrations/email/render';
import { normalisePhone } from '../integrations/sms/phone';
import type { DeviceOs, EligibilityRule, ProvisionedAccount } from '../workflows/fulfilment/definitions';
import { maskPhone } from '../config/mask';

// ---------------------------------------------------------------------------------------------
// Inputs and results
// ---------------------------------------------------------------------------------------------

export interface FindRequesterInput {
  accountName: string;
}
export interface SendReceiptEmailInput {
  journey: JourneyRef;
  contact: RequesterContact;
  /** The steps ahead, in plain words (the plan's stage labels). */
  nextSteps: string[];
}
export interface CheckEligibilityInput {
  accountName: string;
  rule: EligibilityRule;
}
export interface CheckEligibilityResult {
  eligible: boolean;
  /** Why not, in plain words for the person (empty when eligible). */
  reasons: string[];
}
export interface FindRegisteredDeviceInput {
  accountName: string;
  /** As typed (the catalog form normalises it, but corrections arrive as typed). */
  phone: string;
}
export type DeviceCheck =
  | { status: 'registered'; phone: string; maskedPhone: string; os: DeviceOs; model: string }
  | { status: 'not-registered' | 'registered-to-someone-else' | 'invalid-number'; maskedPhone: string; reason: string };

export interface SendDownloadLinkInput {
  journey: JourneyRef;
  /** E.164 of the verified device. */
  phone: string;
  os: DeviceOs;
  link: string;
}
export interface ProvisionAccountInput {
  journey: JourneyRef;
  applicationId: string;
  contact: RequesterContact;
}
export interface FindExistingAccountInput {
  applicationId: string;
  userName: string;
}
/** An account as it was before the journey touched it (null: none). */
export type ExistingAccount = { accountId: string; active: boolean } | null;
export interface DeactivateAccountInput {
  applicationId: string;
  accountId: string;
}
export interface EmailQuickStartInput {
  journey: JourneyRef;
  contact: RequesterContact;
  loginId: string;
}
export interface EmailRequesterInput {
  journey: JourneyRef;
  contact: RequesterContact;
  notice: RequesterNotice;
  /** The idempotency key's last part: `<workflowId>/<step>`. Unique per logical message. */
  step: string;
}
export interface RequestApprovalInput {
  journey: JourneyRef;
  requester: RequesterContact;
  /** accountName of the named approver. */
  approver: string;
  /** The directory group the approver must be an (enabled) member of. */
  approverGroup: string;
  until: string;
  details: { label: string; value: string }[];
}
export type RequestApprovalResult =
  { ok: true; approver: { accountName: string; displayName: string } } | { ok: false; reason: string };
export interface EmailApproverInput {
  journey: JourneyRef;
  approver: string;
  notice: ApproverNotice;
  step: string;
}
export interface OpenServiceDeskTicketInput {
  journey: JourneyRef;
  /** null when the requester could not even be found in the directory. */
  contact: RequesterContact | null;
  ticket: ServiceDeskTicket;
  step: string;
}
export interface OpenServiceDeskTicketResult {
  /** The ticket email's Message-ID. */
  reference: string;
}

function idempotencyKey(journey: Pick<JourneyRef, 'workflowId'>, step: string): string {
  return `${journey.workflowId}/${step}`;
}

function notFound(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: failureTypes.NotFound, message, nonRetryable: true });
}

// ---------------------------------------------------------------------------------------------
// Activities
// ---------------------------------------------------------------------------------------------

/**
 * The request-fulfilment activities over injected integrations (`createFulfilmentActivities(deps)`).
 * Workflows type their proxy with `import type` of this factory's return type.
 */
export function createFulfilmentActivities(deps: ActivityDeps) {
  const links = (journey: JourneyRef) => messages.journeyLinks(deps.settings.publicUrl, journey);

  async function email(to: { name: string; address: string }, rendered: RenderedMessage, key: string) {
    return deliverEmail(deps, { to, ...rendered, idempotencyKey: key });
  }

  // Each is one to a few provider calls (milliseconds, a provider's own timeout at worst): kept
  // alive by heartbeats so a worker that dies mid-call is noticed within the preset's heartbeat
  // timeout (workflows/shared/activity-options.ts), not its start-to-close.
  return keepAliveAll({
    /** Reads the requester from the directory (read-only). Unknown account: non-retryable `NotFound`. */
    async findRequester(input: FindRequesterInput): Promise<RequesterContact> {
      const user = await classifyFailures(() => deps.directory.findUser(input.accountName));
      if (!user) throw notFound(`No directory account "${input.accountName}"`);
      return {
        accountName: user.accountName,
        displayName: user.displayName,
        givenName: user.givenName,
        familyName: user.familyName,
        email: user.email,
      };
    },

    /** Emails "received and being processed" (once per journey: key `<workflowId>/receipt`). */
    async sendReceiptEmail(input: SendReceiptEmailInput): Promise<Told> {
      const sent = await email(
        { name: input.contact.displayName, address: input.contact.email },
        messages.receiptEmail(input.journey, input.contact, input.nextSteps, links(input.journey)),
        idempotencyKey(input.journey, 'receipt'),
      );
      return {
        channel: 'email',
        to: input.contact.email,
        summary: 'Request received and being processed',
        alreadySent: sent.alreadySent,
      };
    },

    /** Evaluates the service's eligibility rule against the directory now (read-only). */
    async checkEligibility(input: CheckEligibilityInput): Promise<CheckEligibilityResult> {
      const user = await classifyFailures(() => deps.directory.findUser(input.accountName));
      if (!user) return { eligible: false, reasons: ['We cannot find your account in the company directory.'] };
      const verdict = evaluateEligibility(input.rule, user);
      return { eligible: verdict.eligible, reasons: verdict.reasons };
    },

    /**
     * Finds the phone in the CMDB and checks it is registered to the requester (read-only).
     * Never says who else owns a number.
     */
    async findRegisteredDevice(input: FindRegisteredDeviceInput): Promise<DeviceCheck> {
      const e164 = normalisePhone(input.phone);
      const maskedPhone = maskPhone(e164 ?? input.phone);
      if (!e164) return { status: 'invalid-number', maskedPhone, reason: messages.deviceProblemText('invalid-number') };
      const device = await classifyFailures(() => deps.cmdb.findDeviceByPhone(e164));
      if (!device)
        return { status: 'not-registered', maskedPhone, reason: messages.deviceProblemText('not-registered') };
      if (device.owner.toLowerCase() !== input.accountName.toLowerCase()) {
        return {
          status: 'registered-to-someone-else',
          maskedPhone,
          reason: messages.deviceProblemText('registered-to-someone-else'),
        };
      }
      return { status: 'registered', phone: e164, maskedPhone, os: device.os, model: device.model };
    },

    /** Texts the download link for the device's OS (once per journey: key `<workflowId>/download-link`). */
    async sendDownloadLink(input: SendDownloadLinkInput): Promise<Told> {
      const sent = await deliverSms(deps, {
        to: input.phone,
        body: messages.downloadLinkSms(input.journey, input.os, input.link),
        idempotencyKey: idempotencyKey(input.journey, 'download-link'),
      });
      return {
        channel: 'sms',
        to: maskPhone(input.phone),
        summary: `Download link for ${input.journey.serviceTitle} (${input.os === 'ios' ? 'iPhone' : 'Android'})`,
        alreadySent: sent.alreadySent,
      };
    },

    /**
     * Creates the requester's account in the application by SCIM, or finds the one that exists
     * (`ensureAccount` is idempotent). `created: false` tells the journey not to undo it later.
     */
    async provisionAccount(input: ProvisionAccountInput): Promise<ProvisionedAccount> {
      const provisioner = deps.provisioners(input.applicationId);
      const c = input.contact;
      const { account, created } = await classifyFailures(() =>
        provisioner.ensureAccount({
          userName: c.email,
          externalId: c.accountName,
          givenName: c.givenName,
          familyName: c.familyName,
          email: c.email,
        }),
      );
      return { applicationId: input.applicationId, accountId: account.id, userName: account.userName, created };
    },

    /**
     * Reads whether the person already has an account in the application (read-only). The journey
     * asks before provisioning, so it knows afterwards whether the account is its own to undo,
     * even when a retried `ensureAccount` finds the account its own first attempt created.
     */
    async findExistingAccount(input: FindExistingAccountInput): Promise<ExistingAccount> {
      const account = await classifyFailures(() =>
        deps.provisioners(input.applicationId).findByUserName(input.userName),
      );
      return account ? { accountId: account.id, active: account.active } : null;
    },

    /** Compensation: deactivates an account the journey created (idempotent). */
    async deactivateAccount(input: DeactivateAccountInput): Promise<void> {
      await classifyFailures(() => deps.provisioners(input.applicationId).deactivate(input.accountId));
    },

    /** Emails the login id and the quick-start guide link (key `<workflowId>/quick-start`). */
    async emailQuickStart(input: EmailQuickStartInput): Promise<Told> {
      const sent = await email(
        { name: input.contact.displayName, address: input.contact.email },
        messages.quickStartEmail(input.journey, input.contact, input.loginId, links(input.journey)),
        idempotencyKey(input.journey, 'quick-start'),
      );
      return {
        channel: 'email',
        to: input.contact.email,
        summary: `Login id ${input.loginId} and the quick-start guide`,
        alreadySent: sent.alreadySent,
      };
    },

    /** Emails the requester one of the journey's notices (key `<workflowId>/<step>`). */
    async emailRequester(input: EmailRequesterInput): Promise<Told> {
      const sent = await email(
        { name: input.contact.displayName, address: input.contact.email },
        messages.requesterNoticeEmail(input.journey, input.contact, input.notice, links(input.journey)),
        idempotencyKey(input.journey, input.step),
      );
      return {
        channel: 'email',
        to: input.contact.email,
        summary: messages.noticeSummary(input.journey, input.notice),
        alreadySent: sent.alreadySent,
      };
    },

    /**
     * Checks the named approver in the directory (enabled, member of the approver group, nested
     * groups count) and, if they may approve, emails them the request (key `<workflowId>/approval-request`).
     */
    async requestApproval(input: RequestApprovalInput): Promise<RequestApprovalResult> {
      const approver = await classifyFailures(() => deps.directory.findUser(input.approver));
      if (!approver) return { ok: false, reason: `There is no account "${input.approver}" in the company directory.` };
      if (!approver.enabled) return { ok: false, reason: `${approver.displayName}'s account is disabled.` };
      if (!approver.groups.some((g) => g.toLowerCase() === input.approverGroup.toLowerCase())) {
        return {
          ok: false,
          reason: `${approver.displayName} is not in the ${input.approverGroup} group, who approve these requests.`,
        };
      }
      if (approver.accountName.toLowerCase() === input.requester.accountName.toLowerCase()) {
        return { ok: false, reason: 'You cannot approve your own request.' };
      }
      await email(
        { name: approver.displayName, address: approver.email },
        messages.approverEmail(
          input.journey,
          approver.givenName || approver.displayName,
          {
            kind: 'approval-request',
            requesterName: input.requester.displayName,
            until: input.until,
            details: input.details,
          },
          links(input.journey),
        ),
        idempotencyKey(input.journey, 'approval-request'),
      );
      return { ok: true, approver: { accountName: approver.accountName, displayName: approver.displayName } };
    },

    /** Emails the approver (e.g. that the request expired) (key `<workflowId>/<step>`). */
    async emailApprover(input: EmailApproverInput): Promise<void> {
      const approver = await classifyFailures(() => deps.directory.findUser(input.approver));
      if (!approver) throw notFound(`No directory account "${input.approver}"`);
      await email(
        { name: approver.displayName, address: approver.email },
        messages.approverEmail(
          input.journey,
          approver.givenName || approver.displayName,
          input.notice,
          links(input.journey),
        ),
        idempotencyKey(input.journey, input.step),
      );
    },

    /** Opens a ticket with the service desk: an email to its mailbox (key `<workflowId>/<step>`). */
    async openServiceDeskTicket(input: OpenServiceDeskTicketInput): Promise<OpenServiceDeskTicketResult> {
      const sent = await email(
        { name: 'IT Service Desk', address: deps.settings.serviceDeskEmail },
        messages.serviceDeskTicketEmail(input.journey, input.contact, input.ticket, links(input.journey)),
        idempotencyKey(input.journey, input.step),
      );
      return { reference: sent.providerId };
    },
  });
}

export type FulfilmentActivities = ReturnType<typeof createFulfilmentActivities>;
