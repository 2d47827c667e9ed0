/**
 * What the request-fulfilment journey says to people: emails as structured content rendered by
 * integrations/email/render.ts (text and HTML parts), and short SMS bodies. Plain functions of
 * their inputs, so a retried activity sends exactly the same words and links.
 */
import { renderMessage, type RenderedMessage } from '../../integrations/email/render';
import type { DeviceOs } from '../../workflows/fulfilment/definitions';

// ---------------------------------------------------------------------------------------------
// What the messages are about (the journey passes these to its activities)
// ---------------------------------------------------------------------------------------------

/** Which journey a message belongs to: ids for keys and links, the service's name for words. */
export interface JourneyRef {
  workflowId: string;
  requestId: string;
  serviceId: string;
  serviceTitle: string;
  requester: string;
}

/** The requester as the directory knows them (what messages and accounts need). */
export interface RequesterContact {
  accountName: string;
  displayName: string;
  givenName: string;
  familyName: string;
  email: string;
}

/** A message the requester was sent. `to` is an address or a masked phone number. */
export interface Told {
  channel: 'email' | 'sms';
  to: string;
  summary: string;
  /** true when a retry found it already sent (the ledger): nothing was sent again. */
  alreadySent: boolean;
}

/** Every email to the requester besides the receipt and the quick start. Times are ISO. */
export type RequesterNotice =
  | { kind: 'not-eligible'; reasons: string[]; howToGetAccess: string }
  | { kind: 'device-not-registered'; phone: string; reason: string; until: string; attemptsLeft: number }
  | { kind: 'device-not-verified'; phone: string; why: 'expired' | 'too-many-attempts' }
  | { kind: 'approval-requested'; approverName: string; until: string }
  | { kind: 'approved'; approverName: string }
  | { kind: 'rejected'; approverName: string; reason: string }
  | { kind: 'approval-expired'; approverName: string }
  | { kind: 'approver-invalid'; approver: string; reason: string }
  | { kind: 'task-booked'; task: string }
  | { kind: 'task-done'; task: string; doneMessage: string; note: string | null }
  | { kind: 'taking-longer'; stageLabel: string }
  | { kind: 'failed'; stageLabel: string; smsSent: boolean }
  | { kind: 'cancelled' };

/** Emails to an approver. `details` are shown as facts (e.g. the delivery location). */
export type ApproverNotice =
  | { kind: 'approval-request'; requesterName: string; until: string; details: { label: string; value: string }[] }
  | { kind: 'approval-expired'; requesterName: string; details: { label: string; value: string }[] };

/** A ticket for the service desk (an email to its mailbox). `fields` are the request form's values. */
export type ServiceDeskTicket =
  | { kind: 'task'; task: string; fields: Record<string, string> }
  | { kind: 'task-reminder'; task: string; since: string; fields: Record<string, string> }
  | {
      kind: 'failure';
      stageLabel: string;
      error: string;
      undone: string[];
      smsSent: boolean;
      fields: Record<string, string>;
    };

/** Links every message may carry. */
export interface MessageLinks {
  /** The request's page on the portal: `<publicUrl>/requests/<workflowId>`. */
  status: string;
  /** The service's quick-start guide on the portal. */
  guide: string;
  /** The approvals page (for approvers). */
  approvals: string;
}

/** Portal links of a journey, from the portal's public URL. */
export function journeyLinks(publicUrl: string, journey: Pick<JourneyRef, 'workflowId' | 'serviceId'>): MessageLinks {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    status: `${base}/requests/${encodeURIComponent(journey.workflowId)}`,
    guide: `${base}/catalog/${encodeURIComponent(journey.serviceId)}/guide`,
    approvals: `${base}/approvals`,
  };
}

/** An ISO time for people: `Mon 24 Nov 2025, 14:05 UTC` (UTC: the reader's zone is unknown here). */
export function formatWhen(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const day = d.toLocaleDateString('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
  return `${day}, ${time} UTC`;
}

function requestFacts(journey: JourneyRef, status: string) {
  return [
    { label: 'Service', value: journey.serviceTitle },
    { label: 'Request', value: journey.requestId },
    { label: 'Status', value: status },
  ];
}

const followAction = (links: MessageLinks) => ({ label: 'Follow your request', url: links.status });
const smallPrint = (journey: JourneyRef) =>
  `You get this because you asked for ${journey.serviceTitle} on the IT portal. Not you? Reply to this email.`;

/** "Received and being processed", with the steps ahead. */
export function receiptEmail(
  journey: JourneyRef,
  contact: RequesterContact,
  nextSteps: readonly string[],
  links: MessageLinks,
): RenderedMessage {
  return renderMessage({
    subject: `We have your request for ${journey.serviceTitle}`,
    greetingName: contact.givenName || contact.displayName,
    title: `Your ${journey.serviceTitle} request has been received and is being processed`,
    paragraphs: [
      'There is nothing more you need to do. We will tell you at every step.',
      nextSteps.length > 0 ? `What happens next:\n${nextSteps.map((s, i) => `${i + 1}. ${s}`).join('\n')}` : '',
    ],
    facts: requestFacts(journey, 'Being processed'),
    actions: [followAction(links), { label: 'Read the quick-start guide', url: links.guide }],
    smallPrint: smallPrint(journey),
  });
}

/** The download link, short: one SMS (160 characters with the store link). */
export function downloadLinkSms(journey: Pick<JourneyRef, 'serviceTitle'>, os: DeviceOs, link: string): string {
  return `IT: install ${journey.serviceTitle} on your ${os === 'ios' ? 'iPhone' : 'Android phone'}: ${link} Login details follow by email.`;
}

/** The login id and the quick-start guide. Never a password: sign-in is the company account. */
export function quickStartEmail(
  journey: JourneyRef,
  contact: RequesterContact,
  loginId: string,
  links: MessageLinks,
): RenderedMessage {
  return renderMessage({
    subject: `Your ${journey.serviceTitle} login`,
    greetingName: contact.givenName || contact.displayName,
    title: `${journey.serviceTitle} is ready for you`,
    paragraphs: [
      `Your ${journey.serviceTitle} account is ready. Sign in with the login id below and your usual company password.`,
      'The quick-start guide shows what you can do with it, in a few minutes.',
    ],
    facts: [{ label: 'Login id', value: loginId }, ...requestFacts(journey, 'Done')],
    actions: [{ label: 'Open the quick-start guide', url: links.guide }, followAction(links)],
    smallPrint: smallPrint(journey),
  });
}

const deviceReasons: Record<'not-registered' | 'registered-to-someone-else' | 'invalid-number', string> = {
  'not-registered': 'Our records have no company phone with that number.',
  'registered-to-someone-else': 'That number is not registered to you in our records.',
  'invalid-number': 'That does not look like a mobile number we can text.',
};

/** Plain words for why a phone number could not be used. */
export function deviceProblemText(reason: keyof typeof deviceReasons): string {
  return deviceReasons[reason];
}

/** A one-line summary of a notice, for the status page's "what you have been told". */
export function noticeSummary(journey: JourneyRef, notice: RequesterNotice): string {
  switch (notice.kind) {
    case 'not-eligible':
      return `You cannot have ${journey.serviceTitle} yet: how to get access`;
    case 'device-not-registered':
      return `Phone ${notice.phone} not registered to you: please check the number`;
    case 'device-not-verified':
      return notice.why === 'expired'
        ? 'No corrected phone number in time: request closed'
        : 'Phone number could not be checked: request closed';
    case 'approval-requested':
      return `Asked ${notice.approverName} to approve`;
    case 'approved':
      return `${notice.approverName} approved your request`;
    case 'rejected':
      return `${notice.approverName} turned your request down`;
    case 'approval-expired':
      return 'No decision in time: request closed';
    case 'approver-invalid':
      return `${notice.approver} cannot approve requests: request closed`;
    case 'task-booked':
      return `The service desk has your request: ${notice.task}`;
    case 'task-done':
      return `Done: ${notice.task}`;
    case 'taking-longer':
      return 'Taking longer than usual';
    case 'failed':
      return 'We could not finish automatically: the service desk takes over';
    case 'cancelled':
      return 'Request cancelled';
  }
}

/** Every email to the requester besides the receipt and the quick start. */
export function requesterNoticeEmail(
  journey: JourneyRef,
  contact: RequesterContact,
  notice: RequesterNotice,
  links: MessageLinks,
): RenderedMessage {
  const greetingName = contact.givenName || contact.displayName;
  const base = { greetingName, smallPrint: smallPrint(journey) };
  const title = journey.serviceTitle;
  switch (notice.kind) {
    case 'not-eligible':
      return renderMessage({
        ...base,
        subject: `Your ${title} request: you cannot have it yet`,
        title: `You cannot have ${title} yet`,
        paragraphs: [
          ...notice.reasons,
          `How to get access: ${notice.howToGetAccess}`,
          'Once you have access, ask again on the portal. Nothing was set up for you this time.',
        ],
        facts: requestFacts(journey, 'Closed: not eligible'),
        actions: [followAction(links)],
      });
    case 'device-not-registered':
      return renderMessage({
        ...base,
        subject: `Your ${title} request: please check your phone number`,
        title: 'Please check your phone number',
        paragraphs: [
          `You asked for ${title} on ${notice.phone}. ${notice.reason}`,
          `If you typed it wrong, correct it on your request page by ${formatWhen(notice.until)}. We continue as soon as you do.`,
          notice.attemptsLeft > 0
            ? ''
            : 'This is the last correction we can take online; after that the service desk can help.',
        ],
        facts: requestFacts(journey, 'Waiting for you'),
        actions: [{ label: 'Correct the number', url: links.status }],
      });
    case 'device-not-verified':
      return renderMessage({
        ...base,
        subject: `Your ${title} request is closed`,
        title: `We could not check your phone, so ${title} was not set up`,
        paragraphs: [
          notice.why === 'expired'
            ? `We did not get a corrected number for ${notice.phone} in time.`
            : `The numbers you gave (last: ${notice.phone}) are not registered to you.`,
          'If your phone is new, the service desk can register it. Then ask again on the portal.',
        ],
        facts: requestFacts(journey, 'Closed: phone not registered'),
        actions: [followAction(links)],
      });
    case 'approval-requested':
      return renderMessage({
        ...base,
        subject: `Your ${title} request is waiting for approval`,
        title: `Waiting for ${notice.approverName} to approve`,
        paragraphs: [
          `We asked ${notice.approverName} to approve your request. They have until ${formatWhen(notice.until)}; we tell you the answer.`,
        ],
        facts: requestFacts(journey, 'Waiting for approval'),
        actions: [followAction(links)],
      });
    case 'approved':
      return renderMessage({
        ...base,
        subject: `Your ${title} request is approved`,
        title: `${notice.approverName} approved your request`,
        paragraphs: ['We carry on now and tell you at every step.'],
        facts: requestFacts(journey, 'Approved'),
        actions: [followAction(links)],
      });
    case 'rejected':
      return renderMessage({
        ...base,
        subject: `Your ${title} request was turned down`,
        title: `${notice.approverName} turned your request down`,
        paragraphs: [
          `Their reason: ${notice.reason}`,
          'If you think this is a mistake, talk to them and ask again on the portal.',
        ],
        facts: requestFacts(journey, 'Closed: turned down'),
        actions: [followAction(links)],
      });
    case 'approval-expired':
      return renderMessage({
        ...base,
        subject: `Your ${title} request is closed: no decision in time`,
        title: 'No decision in time',
        paragraphs: [
          `${notice.approverName} did not decide on your request in time, so it is closed. We let them know too.`,
          'You can ask again on the portal.',
        ],
        facts: requestFacts(journey, 'Closed: no decision'),
        actions: [followAction(links)],
      });
    case 'approver-invalid':
      return renderMessage({
        ...base,
        subject: `Your ${title} request: ${notice.approver} cannot approve it`,
        title: `${notice.approver} cannot approve this request`,
        paragraphs: [notice.reason, 'Ask again on the portal and name your manager as the approver.'],
        facts: requestFacts(journey, 'Closed: no approver'),
        actions: [followAction(links)],
      });
    case 'task-booked':
      return renderMessage({
        ...base,
        subject: `Your ${title} request is with the service desk`,
        title: 'The service desk has your request',
        paragraphs: [
          `Next: ${notice.task}. This needs a person, so it takes a little longer. We tell you when it is done.`,
        ],
        facts: requestFacts(journey, 'With the service desk'),
        actions: [followAction(links)],
      });
    case 'task-done':
      return renderMessage({
        ...base,
        subject: `Your ${title} request is done`,
        title: notice.doneMessage,
        paragraphs: [
          notice.note ? `From the service desk: ${notice.note}` : '',
          'The quick-start guide shows how to use it.',
        ],
        facts: requestFacts(journey, 'Done'),
        actions: [{ label: 'Open the quick-start guide', url: links.guide }, followAction(links)],
      });
    case 'taking-longer':
      return renderMessage({
        ...base,
        subject: `Your ${title} request is taking longer than usual`,
        title: 'Taking longer than usual',
        paragraphs: [
          `We are still working on it: "${notice.stageLabel}" is taking longer than usual because a system we need is slow to answer.`,
          'You do not need to do anything or ask again. It carries on by itself and we tell you when it is done.',
        ],
        facts: requestFacts(journey, 'Delayed'),
        actions: [followAction(links)],
      });
    case 'failed':
      return renderMessage({
        ...base,
        subject: `Your ${title} request: the service desk takes over`,
        title: 'We could not finish automatically',
        paragraphs: [
          `Something went wrong at "${notice.stageLabel}", so we undid what was half done. The service desk has your request as a ticket and will finish it for you or contact you.`,
          notice.smsSent
            ? `You may already have the app from our text message: your login follows once the service desk has set up your account.`
            : '',
          'You do not need to ask again.',
        ],
        facts: requestFacts(journey, 'With the service desk'),
        actions: [followAction(links)],
      });
    case 'cancelled':
      return renderMessage({
        ...base,
        subject: `Your ${title} request was cancelled`,
        title: 'Request cancelled',
        paragraphs: ['Your request was cancelled and anything set up for it was undone.'],
        facts: requestFacts(journey, 'Cancelled'),
        actions: [followAction(links)],
      });
  }
}

/** Emails to the approver: the request to decide, or that it expired. */
export function approverEmail(
  journey: JourneyRef,
  approverName: string,
  notice: ApproverNotice,
  links: MessageLinks,
): RenderedMessage {
  const facts = [
    { label: 'Requested by', value: notice.requesterName },
    { label: 'Service', value: journey.serviceTitle },
    { label: 'Request', value: journey.requestId },
    ...notice.details,
  ];
  if (notice.kind === 'approval-request') {
    return renderMessage({
      subject: `Please approve: ${journey.serviceTitle} for ${notice.requesterName}`,
      greetingName: approverName,
      title: `${notice.requesterName} asks for ${journey.serviceTitle}`,
      paragraphs: [
        `Please approve or turn it down on the portal by ${formatWhen(notice.until)}. Without a decision by then it is turned down automatically.`,
      ],
      facts,
      actions: [{ label: 'Decide on the portal', url: links.approvals }],
      smallPrint: 'You get this because you were named as the approver.',
    });
  }
  return renderMessage({
    subject: `Closed without a decision: ${journey.serviceTitle} for ${notice.requesterName}`,
    greetingName: approverName,
    title: 'A request you were asked to approve has expired',
    paragraphs: [
      `${notice.requesterName}'s request was closed because it was not decided in time. They have been told and can ask again.`,
    ],
    facts,
    smallPrint: 'You get this because you were named as the approver.',
  });
}

/** The service desk's ticket: a manual task, a reminder, or a journey that failed. */
export function serviceDeskTicketEmail(
  journey: JourneyRef,
  contact: RequesterContact | null,
  ticket: ServiceDeskTicket,
  links: MessageLinks,
): RenderedMessage {
  const who = contact ? `${contact.displayName} (${contact.accountName}, ${contact.email})` : journey.requester;
  const facts = [
    { label: 'Requested by', value: who },
    { label: 'Service', value: journey.serviceTitle },
    { label: 'Request', value: journey.requestId },
    ...Object.entries(ticket.fields).map(([label, value]) => ({ label, value })),
  ];
  const actions = [{ label: 'Open the request', url: links.status }];
  switch (ticket.kind) {
    case 'task':
      return renderMessage({
        subject: `[Ticket ${journey.workflowId}] ${ticket.task} for ${who}`,
        title: `To do: ${ticket.task}`,
        paragraphs: [
          `${who} asked for ${journey.serviceTitle}. Please ${ticket.task.toLowerCase()}, then mark the request done on the portal: the requester is told.`,
        ],
        facts,
        actions,
      });
    case 'task-reminder':
      return renderMessage({
        subject: `[Ticket ${journey.workflowId}] Reminder: ${ticket.task} for ${who}`,
        title: `Still to do: ${ticket.task}`,
        paragraphs: [
          `This has been open since ${formatWhen(ticket.since)}. The requester has been told it is taking longer than usual.`,
        ],
        facts,
        actions,
      });
    case 'failure':
      return renderMessage({
        subject: `[Ticket ${journey.workflowId}] Please finish: ${journey.serviceTitle} for ${who}`,
        title: `A ${journey.serviceTitle} request needs a person`,
        paragraphs: [
          `The automated journey stopped at "${ticket.stageLabel}": ${ticket.error}`,
          ticket.undone.length > 0 ? `Undone automatically: ${ticket.undone.join('; ')}.` : 'Nothing had to be undone.',
          ticket.smsSent ? 'The requester already has the download link by SMS.' : '',
          'The requester has been told that the service desk takes over. Please finish the request or contact them.',
        ],
        facts,
        actions,
      });
  }
}
