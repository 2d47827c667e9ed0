/**
 * What access requests and grants say to people (rendered by integrations/email/render.ts).
 * Plain functions of their inputs, so a retried activity sends the same words and links.
 */
import { renderMessage, type RenderedMessage } from '../../integrations/email/render';
import { formatWhen } from './fulfilment';

/** Everything an access message may say; `kind` picks the message. */
export type AccessNotice =
  | {
      kind: 'granted';
      roleLabel: string;
      whatYouCanDo: string;
      howToStart: string;
      until: string | null;
    }
  | { kind: 'reminder'; roleLabel: string; until: string }
  | { kind: 'extension-asked'; roleLabel: string; until: string; approverName: string }
  | { kind: 'extension-approved'; roleLabel: string; until: string }
  | { kind: 'extension-rejected'; roleLabel: string; reason: string }
  | { kind: 'ended'; roleLabel: string; why: string }
  /** To the manager: their report's access ended. */
  | { kind: 'report-ended'; personName: string; roleLabel: string; why: string }
  /** To the approver of an extension. */
  | {
      kind: 'extension-approval';
      personName: string;
      roleLabel: string;
      until: string;
      reason: string;
      decideBy: string;
    }
  /** To the service desk: a removal keeps failing (it goes on retrying). */
  | { kind: 'removal-failing'; personName: string; roleLabel: string; group: string; error: string }
  /** To the service desk: an approval for someone without a manager in the directory. */
  | { kind: 'group-approval'; personName: string; roleLabel: string; group: string; reason: string; until: string };

export interface AccessMessageContext {
  serviceTitle: string;
  /** Greets the recipient. */
  recipientName: string;
  /** The portal's "My access" page. */
  myAccessUrl: string;
  /** The portal's approvals / access-console page (for approvers and staff). */
  consoleUrl: string;
}

const smallPrint = 'You get this because of an access request on the IT portal. Not you? Reply to this email.';

/** The subject and both parts of an access message. */
export function accessEmail(ctx: AccessMessageContext, notice: AccessNotice): RenderedMessage {
  const greet = { greetingName: ctx.recipientName, smallPrint };
  const mine = { label: 'See your access', url: ctx.myAccessUrl };
  switch (notice.kind) {
    case 'granted':
      return renderMessage({
        ...greet,
        subject: `You now have ${notice.roleLabel}`,
        title: `${ctx.serviceTitle}: you are now ${notice.roleLabel}`,
        paragraphs: [
          notice.whatYouCanDo,
          notice.howToStart,
          notice.until
            ? `This access ends on ${formatWhen(notice.until)}. We remind you a few days before; you can ask to extend it.`
            : 'This access has no end date. You can end it yourself when you no longer need it.',
        ],
        actions: [mine],
      });
    case 'reminder':
      return renderMessage({
        ...greet,
        subject: `Your ${notice.roleLabel} access ends on ${formatWhen(notice.until)}`,
        title: `${notice.roleLabel} ends soon`,
        paragraphs: [
          `Your ${ctx.serviceTitle} access as ${notice.roleLabel} ends on ${formatWhen(notice.until)}.`,
          'Still need it? Ask to extend it (your manager approves again). Done with it? End it now.',
        ],
        actions: [
          { label: 'Ask to extend', url: ctx.myAccessUrl },
          { label: 'End it now', url: ctx.myAccessUrl },
        ],
      });
    case 'extension-asked':
      return renderMessage({
        ...greet,
        subject: `Extension asked: ${notice.roleLabel}`,
        title: 'We asked for your extension to be approved',
        paragraphs: [
          `${notice.approverName} decides on keeping ${notice.roleLabel} until ${formatWhen(notice.until)}.`,
        ],
        actions: [mine],
      });
    case 'extension-approved':
      return renderMessage({
        ...greet,
        subject: `Extended: ${notice.roleLabel} until ${formatWhen(notice.until)}`,
        title: 'Your access was extended',
        paragraphs: [`You keep ${notice.roleLabel} until ${formatWhen(notice.until)}.`],
        actions: [mine],
      });
    case 'extension-rejected':
      return renderMessage({
        ...greet,
        subject: `Not extended: ${notice.roleLabel}`,
        title: 'Your extension was not approved',
        paragraphs: [`Why: ${notice.reason}`, 'Your access still ends on the date it had.'],
        actions: [mine],
      });
    case 'ended':
      return renderMessage({
        ...greet,
        subject: `Your ${notice.roleLabel} access has ended`,
        title: `${notice.roleLabel} has ended`,
        paragraphs: [notice.why, 'Need it again? Ask on the IT portal.'],
        actions: [mine],
      });
    case 'report-ended':
      return renderMessage({
        ...greet,
        subject: `${notice.personName}'s ${notice.roleLabel} access has ended`,
        title: `${notice.personName} no longer has ${notice.roleLabel}`,
        paragraphs: [notice.why],
      });
    case 'extension-approval':
      return renderMessage({
        ...greet,
        subject: `Please approve: ${notice.personName} keeps ${notice.roleLabel} longer`,
        title: `${notice.personName} asks to keep ${notice.roleLabel} until ${formatWhen(notice.until)}`,
        paragraphs: [
          `Why: ${notice.reason}`,
          `Please decide on the portal by ${formatWhen(notice.decideBy)}; without a decision it is turned down.`,
        ],
        actions: [{ label: 'Decide on the portal', url: ctx.consoleUrl }],
      });
    case 'removal-failing':
      return renderMessage({
        ...greet,
        subject: `Access removal keeps failing: ${notice.personName}, ${notice.group}`,
        title: 'An access removal keeps failing',
        paragraphs: [
          `Removing ${notice.personName} from the directory group ${notice.group} (${notice.roleLabel}) keeps failing: ${notice.error}`,
          'The journey keeps retrying until it succeeds. Please check the directory (the service account needs write access to the group).',
        ],
        actions: [{ label: 'Access console', url: ctx.consoleUrl }],
      });
    case 'group-approval':
      return renderMessage({
        ...greet,
        subject: `Approval needed: ${notice.roleLabel} for ${notice.personName}`,
        title: `${notice.personName} has no manager in the directory`,
        paragraphs: [
          `Any member of ${notice.group} may approve ${notice.roleLabel} for ${notice.personName} on the portal, by ${formatWhen(notice.until)}.`,
          `Why they need it: ${notice.reason}`,
        ],
        actions: [{ label: 'Decide on the portal', url: ctx.consoleUrl }],
      });
  }
}

/** A one-line summary for the status page's "what you have been told". */
export function accessNoticeSummary(notice: AccessNotice): string {
  switch (notice.kind) {
    case 'granted':
      return `You now have ${notice.roleLabel}`;
    case 'reminder':
      return `${notice.roleLabel} ends soon: extend or end it`;
    case 'extension-asked':
      return `Extension asked of ${notice.approverName}`;
    case 'extension-approved':
      return `${notice.roleLabel} extended`;
    case 'extension-rejected':
      return 'Extension not approved';
    case 'ended':
      return `${notice.roleLabel} ended`;
    case 'report-ended':
      return `${notice.personName}'s ${notice.roleLabel} ended`;
    case 'extension-approval':
      return `Extension approval asked for ${notice.personName}`;
    case 'removal-failing':
      return `Removal failing for ${notice.personName}`;
    case 'group-approval':
      return `Group approval asked for ${notice.personName}`;
  }
}
