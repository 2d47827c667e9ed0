/**
 * The one place messages are turned into text and HTML. Journey templates describe a message
 * as data ({@link MessageContent}); this renders both parts, escaping every value, so no
 * template builds markup by hand.
 */
import { z } from 'zod';
import { IntegrationError } from '../errors';

/** A message as structured data. Every string is plain text: nothing is interpreted as HTML. */
export interface MessageContent {
  /** The subject line; defaults to `title`. */
  subject?: string;
  /** Greets the recipient ("Hello Steve,"); no greeting when null or empty. */
  greetingName?: string | null;
  /** The heading: what this message is about, in a few words. */
  title: string;
  /** Body paragraphs; a line break inside one is kept. */
  paragraphs: readonly string[];
  /** Key facts shown as a small table, e.g. Request → REQ-1042. */
  facts?: readonly { label: string; value: string }[];
  /** Links: buttons in HTML, spelled out in the text part. The first is the main action. */
  actions?: readonly { label: string; url: string }[];
  /** Sign-off line; defaults to "IT Service Desk". */
  signature?: string;
  /** Small print under the message (why you got it, what to do if it was not you). */
  smallPrint?: string | readonly string[];
}

/** Both parts of a rendered message, ready for {@link EmailMessage}. */
export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

const webUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });
const contentSchema = z.object({
  subject: z.string().trim().min(1, 'must not be empty').optional(),
  greetingName: z.string().nullable().optional(),
  title: z.string().trim().min(1, 'must not be empty'),
  paragraphs: z.array(z.string()),
  facts: z.array(z.object({ label: z.string().min(1, 'must not be empty'), value: z.string() })).optional(),
  actions: z.array(z.object({ label: z.string().trim().min(1, 'must not be empty'), url: webUrl })).optional(),
  signature: z.string().optional(),
  smallPrint: z.union([z.string(), z.array(z.string())]).optional(),
});

const palette = {
  page: '#f3f4f6',
  card: '#ffffff',
  text: '#1f2328',
  muted: '#57606a',
  rule: '#d0d7de',
  // 7.1:1 against white text: readable for the main button and for links.
  accent: '#0a4f96',
} as const;
const fontStack = "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

/**
 * Renders a message to `{ subject, text, html }`. Every value is HTML-escaped in the HTML part;
 * links must be absolute http(s) URLs (anything else, such as `javascript:`, is refused). The
 * HTML is a single-column, inline-styled layout that mail clients render consistently; the
 * text part carries the same content with every link written out.
 *
 * Throws a permanent `InvalidRequest` IntegrationError (system `email`) for invalid content: a
 * template bug that no retry would fix.
 */
export function renderMessage(content: MessageContent): RenderedMessage {
  const parsed = contentSchema.safeParse(content);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
    throw new IntegrationError('email', 'InvalidRequest', `message template produced invalid content: ${problems}`);
  }
  const c = parsed.data;
  const subject = oneLine(c.subject ?? c.title);
  const greeting = c.greetingName?.trim() ? `Hello ${oneLine(c.greetingName)},` : null;
  const title = oneLine(c.title);
  const paragraphs = c.paragraphs.map((p) => p.trim()).filter((p) => p !== '');
  const facts = c.facts ?? [];
  const actions = c.actions ?? [];
  const signature = c.signature?.trim() || 'IT Service Desk';
  const smallPrint = (typeof c.smallPrint === 'string' ? [c.smallPrint] : (c.smallPrint ?? []))
    .map((s) => s.trim())
    .filter((s) => s !== '');

  return {
    subject,
    text: renderText({ greeting, title, paragraphs, facts, actions, signature, smallPrint }),
    html: renderHtml({ subject, greeting, title, paragraphs, facts, actions, signature, smallPrint }),
  };
}

interface Parts {
  greeting: string | null;
  title: string;
  paragraphs: string[];
  facts: readonly { label: string; value: string }[];
  actions: readonly { label: string; url: string }[];
  signature: string;
  smallPrint: string[];
}

function renderText(p: Parts): string {
  const blocks: string[] = [];
  if (p.greeting) blocks.push(p.greeting);
  blocks.push(`${p.title}\n${'='.repeat(Math.min(p.title.length, 72))}`);
  blocks.push(...p.paragraphs);
  if (p.facts.length > 0) {
    const width = Math.max(...p.facts.map((f) => f.label.length)) + 1;
    blocks.push(p.facts.map((f) => `${`${oneLine(f.label)}:`.padEnd(width)}  ${oneLine(f.value)}`).join('\n'));
  }
  if (p.actions.length > 0) {
    blocks.push(p.actions.map((a) => `${oneLine(a.label)}:\n${a.url}`).join('\n\n'));
  }
  blocks.push(p.signature);
  if (p.smallPrint.length > 0) blocks.push(`--\n${p.smallPrint.join('\n\n')}`);
  return `${blocks.join('\n\n')}\n`;
}

function renderHtml(p: Parts & { subject: string }): string {
  const paragraph = (text: string, style = ''): string =>
    `<p style="margin:0 0 16px 0;${style}">${escapeHtml(text).replace(/\r?\n/g, '<br>')}</p>`;
  const rows: string[] = [];
  if (p.greeting) rows.push(paragraph(p.greeting));
  rows.push(
    `<h1 style="margin:0 0 16px 0;font-size:22px;line-height:1.3;font-weight:700;color:${palette.text};">${escapeHtml(p.title)}</h1>`,
  );
  for (const text of p.paragraphs) rows.push(paragraph(text));
  if (p.facts.length > 0) {
    const factRows = p.facts
      .map(
        (f) =>
          `<tr><th scope="row" style="text-align:left;vertical-align:top;padding:6px 16px 6px 0;font-weight:600;color:${palette.muted};white-space:nowrap;">${escapeHtml(f.label)}</th>` +
          `<td style="padding:6px 0;color:${palette.text};">${escapeHtml(f.value)}</td></tr>`,
      )
      .join('');
    rows.push(
      `<table style="border-collapse:collapse;margin:0 0 20px 0;font-size:15px;border-top:1px solid ${palette.rule};border-bottom:1px solid ${palette.rule};">${factRows}</table>`,
    );
  }
  if (p.actions.length > 0) {
    const buttons = p.actions
      .map((a, i) => {
        const style =
          i === 0
            ? `background:${palette.accent};color:#ffffff;border:2px solid ${palette.accent};`
            : `background:#ffffff;color:${palette.accent};border:2px solid ${palette.accent};`;
        return `<a href="${escapeHtml(a.url)}" style="display:inline-block;margin:0 8px 8px 0;padding:10px 18px;border-radius:4px;font-weight:600;text-decoration:none;${style}">${escapeHtml(a.label)}</a>`;
      })
      .join('');
    rows.push(`<p style="margin:8px 0 12px 0;">${buttons}</p>`);
    const spelled = p.actions
      .map(
        (a) =>
          `${escapeHtml(a.label)}: <a href="${escapeHtml(a.url)}" style="color:${palette.accent};word-break:break-all;">${escapeHtml(a.url)}</a>`,
      )
      .join('<br>');
    rows.push(
      `<p style="margin:0 0 20px 0;font-size:13px;color:${palette.muted};">If a button does not work, copy the link into your browser:<br>${spelled}</p>`,
    );
  }
  rows.push(paragraph(p.signature));
  const smallPrint = p.smallPrint
    .map((s) => paragraph(s, `font-size:12px;line-height:1.4;color:${palette.muted};`))
    .join('');

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(p.subject)}</title></head>`,
    `<body style="margin:0;padding:0;background:${palette.page};">`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:${palette.page};"><tr><td align="center" style="padding:24px 12px;">`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px;background:${palette.card};border:1px solid ${palette.rule};border-radius:6px;">`,
    `<tr><td style="padding:28px 32px;font-family:${fontStack};font-size:16px;line-height:1.5;color:${palette.text};">`,
    rows.join('\n'),
    '</td></tr>',
    smallPrint === ''
      ? ''
      : `<tr><td style="padding:0 32px 20px 32px;font-family:${fontStack};">${smallPrint}</td></tr>`,
    '</table>',
    '</td></tr></table>',
    '</body>',
    '</html>',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for use in HTML element content and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => htmlEscapes[ch] ?? ch);
}

function oneLine(value: string): string {
  return value.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
