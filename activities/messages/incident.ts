/**
 * What the incident journey says to people: emails as structured content rendered by
 * integrations/email/render.ts (text and HTML parts), and SMS bodies. Plain functions of their
 * inputs, so a retried activity sends exactly the same words and links.
 */
import { renderMessage, type RenderedMessage } from '../../integrations/email/render';
import type {
  FollowUpRow,
  IncidentContent,
  IncidentDeviceOs,
  IncidentNote,
} from '../../workflows/incident/definitions';

const osName: Record<IncidentDeviceOs, string> = { ios: 'iPhone', android: 'Android' };

function serviceLabel(incident: IncidentContent): string {
  return incident.serviceName || incident.serviceId;
}

function facts(incident: IncidentContent, status: string, phase?: number) {
  const rows = [
    { label: 'Service', value: serviceLabel(incident) },
    { label: 'Status', value: status },
    { label: 'Incident', value: incident.incidentId },
  ];
  if (phase !== undefined && phase > 1) rows.push({ label: 'Re-opened', value: `yes (phase ${phase})` });
  return rows;
}

/** Everyone subscribed to the service: it is down, what to do meanwhile, "tell us if it affects you". */
export function declaredEmail(incident: IncidentContent, greetingName: string, portalUrl: string): RenderedMessage {
  const paragraphs = [incident.message];
  if (incident.workaround) paragraphs.push(`Meanwhile: ${incident.workaround.text}`);
  paragraphs.push(
    'If this affects you, press “This affects me” on the portal home page. You will not need to call the Service Desk, and you will be the first to hear when it is fixed.',
  );
  return renderMessage({
    subject: `${serviceLabel(incident)}: ${incident.title}`,
    greetingName,
    title: `${serviceLabel(incident)} has a problem: we are on it`,
    paragraphs,
    facts: facts(incident, 'Being fixed'),
    actions: [{ label: 'Open the portal', url: portalUrl }],
    smallPrint: `You get this because you use ${serviceLabel(incident)}.`,
  });
}

/** The same news as a text, for subscribers who prefer SMS. */
export function declaredSms(incident: IncidentContent, portalUrl: string): string {
  const workaround = incident.workaround ? ` Meanwhile: ${clip(incident.workaround.text, 160)}` : '';
  return `IT: ${serviceLabel(incident)} problem: ${clip(incident.title, 120)}. We are on it.${workaround} Updates: ${portalUrl}`;
}

/** A progress note from IT, to the affected people. */
export function progressEmail(
  incident: IncidentContent,
  greetingName: string,
  note: IncidentNote,
  portalUrl: string,
): RenderedMessage {
  return renderMessage({
    subject: `Update: ${serviceLabel(incident)}: ${incident.title}`,
    greetingName,
    title: `An update on ${serviceLabel(incident)}`,
    paragraphs: [note.text, 'You are on the list of people affected. We will email you again as soon as it is fixed.'],
    facts: facts(incident, 'Being fixed'),
    actions: [{ label: 'Open the portal', url: portalUrl }],
    smallPrint: 'You get this because you told us this problem affects you.',
  });
}

/** Everyone subscribed: it works again. */
export function resolvedEmail(
  incident: IncidentContent,
  greetingName: string,
  note: string,
  phase: number,
): RenderedMessage {
  return renderMessage({
    subject: `Fixed: ${serviceLabel(incident)}: ${incident.title}`,
    greetingName,
    title: `${serviceLabel(incident)} is working again`,
    paragraphs: [note, 'Thank you for your patience.'],
    facts: facts(incident, 'Fixed', phase),
    smallPrint: `You get this because you use ${serviceLabel(incident)}.`,
  });
}

/** The affected people: it works again — does it for you? Two signed links, one per answer. */
export function resolvedAffectedEmail(
  incident: IncidentContent,
  greetingName: string,
  note: string,
  phase: number,
  links: { fixed: string; stillBroken: string },
): RenderedMessage {
  return renderMessage({
    subject: `Fixed: ${serviceLabel(incident)}: is it working for you?`,
    greetingName,
    title: `${serviceLabel(incident)} is working again: is it for you?`,
    paragraphs: [
      note,
      'You told us this problem affected you. Please tell us with one click whether it works for you now, so nobody gets left behind.',
    ],
    facts: facts(incident, 'Fixed', phase),
    actions: [
      { label: 'Yes, it works', url: links.fixed },
      { label: 'No, still broken', url: links.stillBroken },
    ],
    smallPrint: 'The links are personal: they answer for you only, and they expire.',
  });
}

export function resolvedSms(incident: IncidentContent, note: string): string {
  return `IT: ${serviceLabel(incident)} is working again. ${clip(note, 200)}`;
}

/** Everyone: we said it was fixed, it is not; we are on it again. */
export function reopenedEmail(
  incident: IncidentContent,
  greetingName: string,
  reason: string,
  phase: number,
  portalUrl: string,
): RenderedMessage {
  return renderMessage({
    subject: `Re-opened: ${serviceLabel(incident)}: ${incident.title}`,
    greetingName,
    title: `${serviceLabel(incident)}: not fixed for everyone yet`,
    paragraphs: [
      `We told you ${serviceLabel(incident)} was working again, but it is not working for everyone. ${reason}`,
      incident.message,
      ...(incident.workaround ? [`Meanwhile: ${incident.workaround.text}`] : []),
      'We are working on it and will email you again when it is fixed.',
    ],
    facts: facts(incident, 'Being fixed again', phase),
    actions: [{ label: 'Open the portal', url: portalUrl }],
    smallPrint: `You get this because you use ${serviceLabel(incident)}.`,
  });
}

export function reopenedSms(incident: IncidentContent, portalUrl: string): string {
  return `IT: ${serviceLabel(incident)} is not fixed for everyone yet. We are on it again. Updates: ${portalUrl}`;
}

/** The person the service desk follows up: still broken, or we have not heard back. */
export function followUpEmail(
  incident: IncidentContent,
  greetingName: string,
  reason: 'still-broken' | 'no-answer',
  links: { fixed: string; stillBroken: string },
): RenderedMessage {
  const paragraphs =
    reason === 'still-broken'
      ? [
          `You told us ${serviceLabel(incident)} still does not work for you. Sorry about that: the Service Desk has you on its list and will contact you personally.`,
          'If it starts working in the meantime, tell us with the first button.',
        ]
      : [
          `We fixed ${serviceLabel(incident)} but have not heard from you whether it works for you. The Service Desk has you on its list and will check with you.`,
          'You can save them the trouble with one click:',
        ];
  return renderMessage({
    subject: `${serviceLabel(incident)}: we are following up with you`,
    greetingName,
    title: reason === 'still-broken' ? 'We have not forgotten you' : `Is ${serviceLabel(incident)} working for you?`,
    paragraphs,
    facts: facts(incident, reason === 'still-broken' ? 'Following up with you' : 'Fixed: please confirm'),
    actions: [
      { label: 'It works now', url: links.fixed },
      { label: 'Still broken', url: links.stillBroken },
    ],
    smallPrint: 'The links are personal: they answer for you only, and they expire.',
  });
}

/** Rows listed in the follow-up email at most; beyond that the email says how many more there are. */
export const followUpListMaxRows = 10_000;

/** The service desk's one follow-up list for a phase. */
export function followUpListEmail(
  incident: IncidentContent,
  phase: number,
  rows: FollowUpRow[],
  totals: { stillBroken: number; noAnswer: number },
  consoleUrl: string,
): RenderedMessage {
  const shown = rows.slice(0, followUpListMaxRows);
  const line = (r: FollowUpRow) =>
    `${r.accountName} — ${r.reason === 'still-broken' ? 'said still broken' : 'no answer'}`;
  const broken = shown.filter((r) => r.reason === 'still-broken').map(line);
  const silent = shown.filter((r) => r.reason === 'no-answer').map(line);
  const paragraphs = [
    `These people were affected by “${incident.title}” on ${serviceLabel(incident)} and have not confirmed that it works for them. Each of them was just sent a message saying you will follow up. Please contact them so nobody gets left behind.`,
  ];
  if (broken.length > 0) paragraphs.push(`Still broken (${totals.stillBroken}):\n${broken.join('\n')}`);
  if (silent.length > 0) paragraphs.push(`No answer (${totals.noAnswer}):\n${silent.join('\n')}`);
  if (rows.length > shown.length) paragraphs.push(`…and ${rows.length - shown.length} more: see the IT console.`);
  return renderMessage({
    subject: `Follow-up list: ${serviceLabel(incident)}: ${incident.title} (${totals.stillBroken + totals.noAnswer} people)`,
    greetingName: 'Service Desk',
    title: `Follow up ${totals.stillBroken + totals.noAnswer} people`,
    paragraphs,
    facts: [
      ...facts(incident, 'Following up', phase),
      { label: 'Still broken', value: String(totals.stillBroken) },
      { label: 'No answer', value: String(totals.noAnswer) },
    ],
    actions: [{ label: 'Open the incident in the IT console', url: consoleUrl }],
    signature: 'Service Journeys',
  });
}

/** The download link for the workaround, to the person's registered phone. */
export function workaroundSms(incident: IncidentContent, os: IncidentDeviceOs, link: string): string {
  const text = incident.workaround ? clip(incident.workaround.text, 200) : '';
  return `IT: while ${serviceLabel(incident)} is being fixed: ${text} ${osName[os]} download: ${link}`;
}

/** Cuts text to `max` characters on a word boundary, so an SMS stays within its length limit. */
function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}
