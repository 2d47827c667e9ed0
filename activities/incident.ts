/**
 * The incident journey's activities: reading the service from the CMDB, notifying every
 * subscriber page by page, notifying the affected people a batch at a time, the workaround SMS
 * and the service desk's follow-up list.
 *
 * Idempotency: every message has a ledger key `incident-<id>/p<phase>/<what>/<accountName>`
 * (see deliverEmail/deliverSms), so a retried activity — or a worker that died half-way through a
 * page — never sends anyone the same message twice. The resolution email to an affected person
 * and the one to a subscriber share their key on purpose: the affected person's personal email
 * (with the confirmation links) goes out first, and the subscriber pass then skips them.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import { deliverEmail, deliverSms, type Delivery } from './delivery';
import { eachLimited } from './each-limited';
import { classifyFailures } from './errors';
import { heartbeatProgress, keepAliveAll } from './keep-alive';
import { confirmationUrl } from './links';
import * as messages from './messages/incident';
import type { RenderedMessage } from '../integrations/email/render';
import {
  followUpListQuery,
  incidentShardWorkflowId,
  type FollowUpRow,
  type IncidentContent,
  type IncidentNote,
  type NotificationCounts,
  type NotificationKind,
  type WorkaroundSmsOutcome,
} from '../workflows/incident/definitions';
import { maskPhone } from '../config/mask';

// ---------------------------------------------------------------------------------------------
// Inputs and results
// ---------------------------------------------------------------------------------------------

export interface DescribeServiceInput {
  serviceId: string;
}
export interface DescribeServiceResult {
  serviceId: string;
  serviceName: string;
}

/** Pacing and parallelism of one notification activity. */
export interface SendPacing {
  sendConcurrency: number;
  emailsPerSecond?: number;
  smsPerSecond?: number;
}

export interface NotifySubscribersInput extends SendPacing {
  incident: IncidentContent;
  phase: number;
  kind: NotificationKind;
  /** The resolution note (resolved) or the reason (reopened); null for declared. */
  note: string | null;
  /** Where to start reading subscribers (null: the first page). */
  cursor: string | null;
  pageSize: number;
  /** Pages to work through before returning (the workflow calls again with `nextCursor`). */
  maxPages: number;
}

export interface RecipientFailure {
  accountName: string;
  channel: 'email' | 'sms';
  code: string;
}

export interface NotifySubscribersResult {
  nextCursor: string | null;
  done: boolean;
  pages: number;
  counts: NotificationCounts;
  /** The first few recipients a provider refused for good. */
  failures: RecipientFailure[];
}

export type AffectedMessageKind = 'progress' | 'resolved' | 'reopened' | 'follow-up';

export interface NotifyAffectedInput extends SendPacing {
  incident: IncidentContent;
  phase: number;
  kind: AffectedMessageKind;
  people: { accountName: string; reason?: 'still-broken' | 'no-answer' }[];
  /** progress: the note; resolved: the resolution note; reopened: the reason. */
  note: IncidentNote | string | null;
  /** Expiry of the confirmation links (ms since the epoch), decided by the workflow. */
  linkExpiresAt: number;
}

export interface NotifyAffectedResult {
  sent: number;
  alreadySent: number;
  failed: number;
  failures: RecipientFailure[];
}

export interface SendWorkaroundSmsInput {
  incident: IncidentContent;
  accountName: string;
}

export interface FollowUpListInput {
  incident: IncidentContent;
  phase: number;
  shardCount: number;
}
export interface FollowUpListResult {
  stillBroken: number;
  noAnswer: number;
  emailed: boolean;
}

/** One activity attempt stops taking new pages after this long (its start-to-close is 10 minutes). */
const timeBudgetMs = 4 * 60_000;
const maxFailuresReported = 20;

// ---------------------------------------------------------------------------------------------

/** The incident activities over injected integrations. */
export function createIncidentActivities(deps: ActivityDeps) {
  const portalUrl = `${deps.settings.publicUrl.replace(/\/+$/, '')}/`;
  const key = (incidentId: string, phase: number, what: string, accountName: string) =>
    `incident-${incidentId}/p${phase}/${what}/${accountName}`;

  // Every activity heartbeats every second while it runs (keep-alive.ts), also while it waits for
  // a CMDB page, a slow provider, a Retry-After or the pacing, so a short heartbeat timeout tells
  // a dead worker from a slow page; progress goes through heartbeatProgress, which the keep-alive re-sends.
  return keepAliveAll({
    /**
     * The service's name from the CMDB. Read-only, retried on transient failures; an unknown
     * service is a permanent `NotFound`.
     */
    async describeIncidentService(input: DescribeServiceInput): Promise<DescribeServiceResult> {
      const service = await classifyFailures(() => deps.cmdb.getService(input.serviceId));
      if (!service) {
        throw ApplicationFailure.create({
          type: 'NotFound',
          message: `No service "${input.serviceId}" in the CMDB`,
          nonRetryable: true,
        });
      }
      return { serviceId: service.id, serviceName: service.name };
    },

    /**
     * Notifies the service's subscribers, reading them from the CMDB a page at a time, for up to
     * `maxPages` pages (or about four minutes), and returns where to go on. Email to everyone,
     * SMS as well to those who prefer it. Messages go out `sendConcurrency` at a time, paced to
     * the given rates; a provider's "slow down" (429) pauses that message and tries it again.
     *
     * Heartbeats the cursor after every page: a retried attempt resumes from the last finished
     * page, and the ledger skips whatever of the unfinished page was already sent. A recipient
     * the provider refuses for good (bad address, opted out) is counted, not retried.
     */
    async notifySubscribers(input: NotifySubscribersInput): Promise<NotifySubscribersResult> {
      const ctx = Context.current();
      const resumed = resumePoint(ctx.info.heartbeatDetails);
      let cursor = resumed?.cursor ?? input.cursor;
      const counts: NotificationCounts = resumed?.counts ?? {
        subscribers: 0,
        emailsSent: 0,
        smsSent: 0,
        alreadySent: 0,
        failed: 0,
      };
      let pages = resumed?.pages ?? 0;
      const failures: RecipientFailure[] = [];
      const started = Date.now();
      const email = pacer(input.emailsPerSecond);
      const sms = pacer(input.smsPerSecond);
      const sending = { limit: input.sendConcurrency, signal: ctx.cancellationSignal };
      // An earlier attempt read the last page but did not get to return.
      let done = resumed?.finished === true;

      while (!done && pages < input.maxPages && Date.now() - started < timeBudgetMs) {
        const page = await classifyFailures(() =>
          deps.cmdb.subscribersPage(input.incident.serviceId, cursor, input.pageSize),
        );
        // A retry redoes an unfinished page from its start, so until the page is done the progress
        // is the counts as they were at its start; the keep-alive re-sends it every second while
        // the page is sent. Reported once per page, not after every subscriber: each heartbeat is
        // a native call through the SDK's heartbeat pipeline on the worker's event loop (a CPU
        // profile of bench:incident: 0.8 s per 20,000 subscribers, for nothing new).
        heartbeatProgress({ cursor, counts: { ...counts }, pages } satisfies ResumePoint);
        await eachLimited(page.subscribers, sending, async (s) => {
          const accountName = s.accountName.toLowerCase();
          const k = key(input.incident.incidentId, input.phase, input.kind, accountName);
          const mail = subscriberEmail(input, s.displayName, portalUrl);
          const sent = await sendOne(() =>
            email
              .take()
              .then(() =>
                deliverEmail(deps, { to: { name: s.displayName, address: s.email }, ...mail, idempotencyKey: k }),
              ),
          );
          tally(counts, failures, sent, accountName, 'email');
          if (s.prefersSms && s.mobile) {
            const body = subscriberSms(input, portalUrl);
            const texted = await sendOne(() =>
              sms.take().then(() => deliverSms(deps, { to: s.mobile!, body, idempotencyKey: k })),
            );
            tally(counts, failures, texted, accountName, 'sms');
          }
        });
        counts.subscribers += page.subscribers.length;
        pages += 1;
        cursor = page.nextCursor;
        // A copy: the details are encoded later (and re-sent by the keep-alive), while the next
        // page goes on counting into `counts`.
        heartbeatProgress({ cursor, counts: { ...counts }, pages, finished: cursor === null } satisfies ResumePoint);
        if (cursor === null) {
          done = true;
          break;
        }
      }
      return { nextCursor: cursor, done, pages, counts, failures };
    },

    /**
     * Emails a batch of affected people (looked up in the directory): a progress note, the
     * resolution with their personal confirmation links, the re-opening, or the follow-up.
     * Idempotent per (incident, phase, message, person) through the ledger; people the directory
     * does not know (any more) are counted as failed, not retried.
     */
    async notifyAffectedPeople(input: NotifyAffectedInput): Promise<NotifyAffectedResult> {
      const result: NotifyAffectedResult = { sent: 0, alreadySent: 0, failed: 0, failures: [] };
      const email = pacer(input.emailsPerSecond);
      const sending = { limit: input.sendConcurrency, signal: Context.current().cancellationSignal };
      await eachLimited(input.people, sending, async (person) => {
        const accountName = person.accountName.toLowerCase();
        const user = await classifyFailures(() => deps.directory.findUser(accountName));
        if (!user || !user.enabled || !user.email) {
          result.failed += 1;
          if (result.failures.length < maxFailuresReported)
            result.failures.push({ accountName, channel: 'email', code: user ? 'AccountDisabled' : 'NotFound' });
          return;
        }
        const links = () => {
          const claims = { incidentId: input.incident.incidentId, accountName, expiresAt: input.linkExpiresAt };
          return {
            fixed: confirmationUrl(deps.settings, claims, 'fixed'),
            stillBroken: confirmationUrl(deps.settings, claims, 'still-broken'),
          };
        };
        const name = user.givenName || user.displayName;
        let what: string;
        let mail: RenderedMessage;
        switch (input.kind) {
          case 'progress': {
            const note = input.note as IncidentNote;
            what = `progress-${note.seq}`;
            mail = messages.progressEmail(input.incident, name, note, portalUrl);
            break;
          }
          case 'resolved':
            what = 'resolved';
            mail = messages.resolvedAffectedEmail(input.incident, name, noteText(input.note), input.phase, links());
            break;
          case 'reopened':
            what = 'reopened';
            mail = messages.reopenedEmail(input.incident, name, noteText(input.note), input.phase, portalUrl);
            break;
          case 'follow-up':
            what = 'follow-up';
            mail = messages.followUpEmail(input.incident, name, person.reason ?? 'no-answer', links());
            break;
        }
        const sent = await sendOne(() =>
          email.take().then(() =>
            deliverEmail(deps, {
              to: { name: user.displayName, address: user.email },
              ...mail,
              idempotencyKey: key(input.incident.incidentId, input.phase, what, accountName),
            }),
          ),
        );
        if (sent.ok) {
          if (sent.delivery.alreadySent) result.alreadySent += 1;
          else result.sent += 1;
        } else {
          result.failed += 1;
          if (result.failures.length < maxFailuresReported)
            result.failures.push({ accountName, channel: 'email', code: sent.code });
        }
        heartbeatProgress(result.sent + result.alreadySent + result.failed);
      });
      return result;
    },

    /**
     * Texts the workaround's download link to the person's registered phone, choosing the link
     * for the phone's OS (from the CMDB). At most once per incident and person (ledger). A
     * missing device or link, or a number the provider refuses for good, is an outcome, not an
     * error, so the portal can say so; transient failures are retried.
     */
    async sendWorkaroundSms(input: SendWorkaroundSmsInput): Promise<WorkaroundSmsOutcome> {
      const links = input.incident.workaround?.links ?? {};
      if (!input.incident.workaround || Object.keys(links).length === 0) return { status: 'no-workaround' };
      const devices = await classifyFailures(() => deps.cmdb.devicesOf(input.accountName));
      if (devices.length === 0) return { status: 'no-device' };
      const device = devices.find((d) => links[d.os]) ?? null;
      if (!device) return { status: 'no-link-for-device', os: devices[0]!.os };
      const sent = await sendOne(() =>
        deliverSms(deps, {
          to: device.phone,
          body: messages.workaroundSms(input.incident, device.os, links[device.os]!),
          idempotencyKey: `incident-${input.incident.incidentId}/workaround-sms/${input.accountName}`,
        }),
      );
      if (!sent.ok)
        return { status: 'failed', message: `the SMS provider refused ${maskPhone(device.phone)} (${sent.code})` };
      return { status: 'sent', to: maskPhone(device.phone), os: device.os, alreadySent: sent.delivery.alreadySent };
    },

    /**
     * Sends the service desk ONE email listing everyone to follow up in a phase (said "still
     * broken" or did not answer). Reads the lists from the shards with queries (through the
     * worker's Temporal client), a page at a time, so no list ever travels through a workflow
     * history. Idempotent per (incident, phase) through the ledger; queries are retried.
     */
    async sendFollowUpList(input: FollowUpListInput): Promise<FollowUpListResult> {
      const ctx = Context.current();
      const rows: FollowUpRow[] = [];
      for (let shard = 0; shard < input.shardCount; shard++) {
        const handle = ctx.client.workflow.getHandle(incidentShardWorkflowId(input.incident.incidentId, shard));
        for (let offset = 0; ;) {
          const page = await handle.query(followUpListQuery, { phase: input.phase, offset, limit: 2000 });
          rows.push(...page.rows);
          offset += page.rows.length;
          heartbeatProgress({ shard, offset });
          if (page.rows.length === 0 || offset >= page.total) break;
        }
      }
      rows.sort((a, b) =>
        a.reason === b.reason ? a.accountName.localeCompare(b.accountName) : a.reason === 'still-broken' ? -1 : 1,
      );
      const stillBroken = rows.filter((r) => r.reason === 'still-broken').length;
      const totals = { stillBroken, noAnswer: rows.length - stillBroken };
      if (rows.length === 0) return { ...totals, emailed: false };
      const consoleUrl = `${portalUrl}console/incidents/${encodeURIComponent(input.incident.incidentId)}`;
      const mail = messages.followUpListEmail(input.incident, input.phase, rows, totals, consoleUrl);
      await deliverEmail(deps, {
        to: { name: 'Service Desk', address: deps.settings.serviceDeskEmail },
        ...mail,
        idempotencyKey: `incident-${input.incident.incidentId}/p${input.phase}/follow-up-list`,
      });
      return { ...totals, emailed: true };
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

interface ResumePoint {
  cursor: string | null;
  counts: NotificationCounts;
  pages: number;
  finished?: boolean;
}

/** The last finished page of an earlier attempt (heartbeat details), if it looks like one. */
function resumePoint(details: unknown): ResumePoint | null {
  if (typeof details !== 'object' || details === null) return null;
  const d = details as Partial<ResumePoint>;
  if (
    !(typeof d.cursor === 'string' || d.cursor === null) ||
    typeof d.pages !== 'number' ||
    typeof d.counts !== 'object' ||
    d.counts === null
  )
    return null;
  return { cursor: d.cursor, counts: { ...d.counts }, pages: d.pages, finished: d.finished === true };
}

function noteText(note: IncidentNote | string | null): string {
  return typeof note === 'string' ? note : (note?.text ?? '');
}

function subscriberEmail(input: NotifySubscribersInput, name: string, portalUrl: string): RenderedMessage {
  switch (input.kind) {
    case 'declared':
      return messages.declaredEmail(input.incident, name, portalUrl);
    case 'resolved':
      return messages.resolvedEmail(input.incident, name, input.note ?? '', input.phase);
    case 'reopened':
      return messages.reopenedEmail(input.incident, name, input.note ?? '', input.phase, portalUrl);
  }
}

function subscriberSms(input: NotifySubscribersInput, portalUrl: string): string {
  switch (input.kind) {
    case 'declared':
      return messages.declaredSms(input.incident, portalUrl);
    case 'resolved':
      return messages.resolvedSms(input.incident, input.note ?? '');
    case 'reopened':
      return messages.reopenedSms(input.incident, portalUrl);
  }
}

type SendOutcome = { ok: true; delivery: Delivery } | { ok: false; code: string };

/**
 * One message with its own short retries for transient failures (honouring a provider's
 * Retry-After), so one busy moment does not fail a page of thousands. A permanent refusal is an
 * outcome; a failure that outlasts the retries fails the activity, which Temporal retries.
 */
async function sendOne(send: () => Promise<Delivery>): Promise<SendOutcome> {
  const maxAttempts = 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, delivery: await send() };
    } catch (err) {
      if (err instanceof ApplicationFailure && err.nonRetryable) return { ok: false, code: err.type ?? 'Refused' };
      if (attempt >= maxAttempts) throw err;
      const asked =
        err instanceof ApplicationFailure && typeof err.nextRetryDelay === 'number' ? err.nextRetryDelay : undefined;
      await Context.current().sleep(Math.min(asked ?? 200 * 2 ** attempt, 30_000));
    }
  }
}

function tally(
  counts: NotificationCounts,
  failures: RecipientFailure[],
  sent: SendOutcome,
  accountName: string,
  channel: 'email' | 'sms',
): void {
  if (!sent.ok) {
    counts.failed += 1;
    if (failures.length < maxFailuresReported) failures.push({ accountName, channel, code: sent.code });
  } else if (sent.delivery.alreadySent) counts.alreadySent += 1;
  else if (channel === 'email') counts.emailsSent += 1;
  else counts.smsSent += 1;
}

/** Spaces sends to at most `perSecond` (shared by the concurrent senders of one activity). */
function pacer(perSecond: number | undefined): { take(): Promise<void> } {
  if (!perSecond) return { take: () => Promise.resolve() };
  const gapMs = 1000 / perSecond;
  let nextAt = 0;
  return {
    take() {
      const now = Date.now();
      const at = Math.max(now, nextAt);
      nextAt = at + gapMs;
      return at <= now ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, at - now));
    },
  };
}
