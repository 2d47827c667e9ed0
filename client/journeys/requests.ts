/**
 * The request side of {@link Journeys}: starts `fulfilmentWorkflow` by type name with the plan
 * the catalog gives for the service, reads `statusQuery`, finds requests through the `Requester`
 * and `Stage` search attributes, and sends the approval, device-correction and delivered updates.
 */
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import {
  InternalConnectionLikeSymbol,
  type Client,
  type InternalConnectionLike,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import { InvalidRequestError, type PreparedRequest } from '../../catalog';
import {
  approvalUpdate,
  correctDeviceUpdate,
  deliveredUpdate,
  fulfilmentWorkflowType,
  journeyFeedbackInputProblems,
  journeyFeedbackStartOptions,
  journeyFeedbackWorkflowType,
  outcomeLabels,
  statusQuery,
  type FulfilmentOutcome,
  type FulfilmentStatus,
} from '../../workflows/fulfilment/definitions';
import { Requester, ServiceId, Stage, Outcome } from '../../workflows/shared/search-attributes';
import type { CatalogPort } from './catalog-port';
import { badRequest, bodyIssue, conflict, forbidden, idempotencyKeyReused, notFound, toHttpError } from '../errors';
import type { EventRoute } from '../../workflows/shared/event-types';
import { fingerprint, type JourneyTimeouts } from './common';
import { listExecutions, quote, viewsOrVisibility, withDeadline } from './temporal-reads';
import type { RequestList, RequestView, ServiceView } from './views';
import { maskPhone } from '../../config/mask';

/** What the request side of the gateway is built over. */
export interface RequestJourneysDeps {
  client: Client;
  taskQueue: string;
  timeouts: JourneyTimeouts;
  log: FastifyBaseLogger;
  catalog: CatalogPort;
  /** Tests: fast activity retries for new journeys. */
  retryInitialIntervalMs?: number;
  /** Webhook subscriptions new requests tell (workflows/shared/events.ts). */
  events?: EventRoute[];
}

/** Public request ids are the journeys' workflow ids: `fulfil-<service>-<requestId>`. */
const publicIdPattern = /^fulfil-[a-z0-9-]+-[A-Za-z0-9_.:-]{1,80}$/;

/**
 * Eager workflow start: when this client is built on the NativeConnection of a worker in the same
 * process (as `npm start` does), the server hands the journey's first workflow task straight back
 * in the start response to that worker, saving a trip through matching. The SDK offers it only on
 * such a connection (and falls back to the task queue when the local worker has no free slot);
 * over a plain gRPC connection, as the separate API process has, journeys start as before.
 */
function sharesWorkerConnection(client: Client): boolean {
  return (client.connection as InternalConnectionLike)[InternalConnectionLikeSymbol]?.supportsEagerStart === true;
}

/**
 * The update id of a person's step. A request takes one decision and one delivery, ever, so the
 * same answer sent again (a client retrying after a lost response) gets the same id, and Temporal
 * answers it with the first one's outcome instead of refusing it as "not waiting". A different
 * answer is a new update, which the journey refuses once it has decided. A device correction may
 * repeat legitimately, so only a client's Idempotency-Key makes it one.
 */
function actionId(action: 'decision' | 'device' | 'delivery', args: object): string {
  return `${action}-${fingerprint(args)}`;
}

function summaryOf(fields: Record<string, string>): string | null {
  const parts = Object.entries(fields).map(([k, v]) => `${k}: ${/phone|mobile/i.test(k) ? maskPhone(v) : v}`);
  return parts.length > 0 ? parts.join(', ') : null;
}

/** The journey's own status (its `statusQuery` answer) as the portal and the API show it. */
export function statusToView(s: FulfilmentStatus, fields: Record<string, string> | null): RequestView {
  return {
    id: s.workflowId,
    serviceId: s.serviceId,
    serviceTitle: s.serviceTitle,
    requester: s.requester,
    startedAt: s.requestedAt,
    running: s.running,
    stage: s.stage,
    stageLabel: s.stageLabel,
    outcome: s.outcome,
    reason: s.reason,
    delayed: s.delayed,
    timeline: s.stages.map((st) => ({
      stage: st.stage,
      label: st.label,
      startedAt: st.startedAt,
      endedAt: st.endedAt,
      state: st.state,
    })),
    told: s.told.map((t) => ({
      at: t.at,
      channel: t.channel === 'sms' ? `SMS to ${t.to}` : `email to ${t.to}`,
      summary: t.summary,
    })),
    waitingFor: s.waitingFor,
    summary: fields ? summaryOf(fields) : null,
    complete: true,
  };
}

/**
 * The request operations of {@link Journeys}. Starting is idempotent per request key (the
 * workflow id is derived from it, reject-duplicate); lists come from visibility with deadlines
 * and fall back to search attributes when a journey is slow to answer its query.
 */
export function createRequestJourneys(deps: RequestJourneysDeps) {
  const { client, timeouts, catalog } = deps;
  const eagerStart = sharesWorkerConnection(client);

  /** From search attributes only: what a page shows when the journey is slow to answer. */
  function fromVisibility(info: WorkflowExecutionInfo): RequestView {
    const sa = info.typedSearchAttributes;
    const serviceId = sa.get(ServiceId) ?? '';
    const stage = sa.get(Stage) ?? 'received';
    const outcome = (sa.get(Outcome) ?? null) as FulfilmentOutcome | null;
    const running = info.status.name === 'RUNNING';
    return {
      id: info.workflowId,
      serviceId,
      serviceTitle: catalog.service(serviceId)?.title ?? serviceId,
      requester: sa.get(Requester) ?? '',
      startedAt: info.startTime.toISOString(),
      running,
      stage,
      stageLabel: outcome ? (outcomeLabels[outcome] ?? outcome) : running ? 'In progress' : 'Finished',
      outcome,
      reason: null,
      delayed: false,
      timeline: [],
      told: [],
      waitingFor: null,
      summary: null,
      complete: false,
    };
  }

  async function queryView(workflowId: string): Promise<RequestView> {
    const handle = client.workflow.getHandle(workflowId);
    const s = await withDeadline(client, timeouts.queryMs, () => handle.query(statusQuery));
    return statusToView(s, null);
  }

  async function request(id: string): Promise<RequestView | null> {
    if (!publicIdPattern.test(id)) return null;
    const handle = client.workflow.getHandle(id);
    // The description and the status query at once: a status read is one round trip, not two.
    const [described, queried] = await Promise.allSettled([
      withDeadline(client, timeouts.detailMs, () => handle.describe()),
      withDeadline(client, timeouts.detailMs, () => handle.query(statusQuery)),
    ]);
    let info: WorkflowExecutionInfo;
    // A description is an execution info with more detail; only the shared fields are used.
    if (described.status === 'rejected') {
      if (described.reason instanceof WorkflowNotFoundError) return null;
      throw toHttpError(described.reason);
    } else info = described.value as unknown as WorkflowExecutionInfo;
    if (info.type !== fulfilmentWorkflowType) return null;
    if (queried.status === 'rejected') {
      const err: unknown = queried.reason;
      deps.log.warn(
        { err: { message: err instanceof Error ? err.message : String(err) }, workflowId: id },
        'status query failed; showing search attributes',
      );
      return fromVisibility(info);
    }
    const view = statusToView(queried.value, null);
    const input = info.memo?.summary;
    return typeof input === 'string' ? { ...view, summary: input } : view;
  }

  /** Views for listed journeys: the status query where it answers in time, search attributes otherwise. */
  function viewsOf(infos: WorkflowExecutionInfo[]): Promise<RequestView[]> {
    return viewsOrVisibility(
      infos,
      async (info) => {
        const view = await queryView(info.workflowId);
        const summary = info.memo?.summary;
        return typeof summary === 'string' ? { ...view, summary } : view;
      },
      fromVisibility,
    );
  }

  /**
   * Views of the journeys a visibility query finds, those `keep` accepts. Incomplete when the list
   * call failed, or when a journey in the list did not answer its query (its view from search
   * attributes cannot say whether `keep` would accept it).
   */
  async function listed(query: string, limit: number, keep?: (v: RequestView) => boolean): Promise<RequestList> {
    let infos: WorkflowExecutionInfo[];
    try {
      infos = await listExecutions(client, query, limit, timeouts.listMs);
    } catch (err) {
      deps.log.warn({ err: { message: (err as Error).message } }, 'request list failed');
      return { requests: [], complete: false };
    }
    const views = await viewsOf(infos);
    if (!keep) return { requests: views, complete: true };
    return { requests: views.filter(keep), complete: views.every((v) => v.complete) };
  }

  async function submitRequest(input: {
    serviceId: string;
    requester: string;
    fields: Record<string, unknown>;
    requestKey: string | null;
    /** How the Temporal UI names the requester, e.g. their email address. */
    requesterLabel?: string;
  }): Promise<{ id: string; created: boolean; eagerlyStarted: boolean }> {
    const requestId = input.requestKey
      ? `k${createHash('sha256').update(input.requestKey).digest('hex').slice(0, 24)}`
      : `r${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
    let prepared: PreparedRequest;
    try {
      prepared = catalog.prepare({
        serviceId: input.serviceId,
        requestId,
        requester: input.requester,
        fields: input.fields,
        requestedAt: new Date().toISOString(),
        taskQueue: deps.taskQueue,
        ...(input.requesterLabel ? { requesterLabel: input.requesterLabel } : {}),
        ...(deps.retryInitialIntervalMs !== undefined ? { retryInitialIntervalMs: deps.retryInitialIntervalMs } : {}),
      });
    } catch (err) {
      if (err instanceof InvalidRequestError) {
        const issues = Object.entries(err.fieldErrors).map(([k, message]) => ({
          in: 'body' as const,
          path: k === '_request' ? [] : ['fields', k],
          message,
        }));
        if (err.fieldErrors._request === 'Unknown service')
          throw badRequest(err.message, [bodyIssue('serviceId', `no service "${input.serviceId}"`)]);
        throw badRequest(err.message, issues);
      }
      throw err;
    }
    const options = deps.events
      ? { ...prepared.options, args: [{ ...prepared.input, events: deps.events }] as typeof prepared.options.args }
      : prepared.options;
    const fields = prepared.input.fields;
    const inputPrint = fingerprint({ s: prepared.service.id, r: prepared.input.requester, f: fields });
    try {
      const handle = await withDeadline(client, timeouts.startMs, () =>
        client.workflow.start(fulfilmentWorkflowType, {
          ...options,
          memo: { inputFingerprint: inputPrint, summary: summaryOf(fields) },
          ...(eagerStart ? { requestEagerStart: true } : {}),
        }),
      );
      return { id: options.workflowId, created: true, eagerlyStarted: handle.eagerlyStarted };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw toHttpError(err);
      const existing = await withDeadline(client, timeouts.detailMs, () =>
        client.workflow.getHandle(options.workflowId).describe(),
      ).catch(() => null);
      if (existing?.memo?.inputFingerprint === inputPrint)
        return { id: options.workflowId, created: false, eagerlyStarted: false };
      throw idempotencyKeyReused(
        'This Idempotency-Key was already used for a different request: send the first request’s body again, or use a new key',
      );
    }
  }

  async function update<R>(id: string, run: () => Promise<R>): Promise<R> {
    if (!publicIdPattern.test(id)) throw notFound(`No request ${id}`);
    try {
      return await withDeadline(client, timeouts.updateMs, run);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw conflict('This request has finished');
      throw toHttpError(err);
    }
  }

  const running = `WorkflowType = ${quote(fulfilmentWorkflowType)} AND ExecutionStatus = "Running"`;

  return {
    catalog: (): ServiceView[] => catalog.services(),
    service: (id: string): ServiceView | null => catalog.service(id),
    search: (q: string): ServiceView[] => catalog.search(q),
    submitRequest,
    request,
    requestsOf: (accountName: string): Promise<RequestList> =>
      listed(`WorkflowType = ${quote(fulfilmentWorkflowType)} AND Requester = ${quote(accountName)}`, 20),
    awaitingApproval(approver: string): Promise<RequestList> {
      const me = approver.toLowerCase();
      // A group approval (no manager in the directory) is shown to every approver but the
      // requester; the journey itself checks the decider is in the group.
      return listed(
        `${running} AND Stage = "approval"`,
        100,
        (v) =>
          v.waitingFor?.kind === 'approval' &&
          (v.waitingFor.approver.toLowerCase() === me ||
            (v.waitingFor.anyMemberOf !== undefined && v.requester.toLowerCase() !== me)),
      );
    },
    awaitingServiceDesk: (): Promise<RequestList> =>
      listed(`${running} AND Stage = "delivery"`, 100, (v) => v.waitingFor?.kind === 'manual-task'),
    async decide(id: string, approver: string, decision: { approve: boolean; reason: string | null }): Promise<void> {
      const args = { approver, approve: decision.approve, reason: decision.reason };
      await update(id, () =>
        client.workflow
          .getHandle(id)
          .executeUpdate(approvalUpdate, { args: [args], updateId: actionId('decision', args) }),
      );
    },
    async correctDevice(
      id: string,
      accountName: string,
      phone: string,
      os: 'ios' | 'android' | null,
      idempotencyKey?: string,
    ): Promise<void> {
      const args = { accountName, phone, ...(os ? { os } : {}) };
      await update(id, () =>
        client.workflow.getHandle(id).executeUpdate(correctDeviceUpdate, {
          args: [args],
          ...(idempotencyKey ? { updateId: actionId('device', { idempotencyKey }) } : {}),
        }),
      );
    },
    async markDelivered(id: string, by: string, note: string | null): Promise<void> {
      const args = { by, note };
      await update(id, () =>
        client.workflow
          .getHandle(id)
          .executeUpdate(deliveredUpdate, { args: [args], updateId: actionId('delivery', args) }),
      );
    },
    /**
     * The requester's NPS answer about a finished request: starts `journeyFeedbackWorkflow`
     * (id `feedback-<request id>`), which writes it to the experience store. Returns once the
     * answer is durable in Temporal, not once it is in the store. Answering again replaces the
     * earlier answer (see `journeyFeedbackStartOptions`). 404 unknown request, 403 not the
     * requester, 409 still running or ended without an outcome, 400 bad score or comment.
     */
    async rateRequest(
      id: string,
      accountName: string,
      answer: { score: number; comment: string | null },
    ): Promise<void> {
      const view = await request(id);
      if (!view) throw notFound(`No request ${id}`);
      const user = accountName.trim().toLowerCase();
      if (view.requester.toLowerCase() !== user)
        throw forbidden(`Only ${view.requester}, who asked for it, can rate this request`);
      if (view.running || view.outcome === null)
        throw conflict('This request is not finished yet: you can rate it once it has an outcome');
      const comment = answer.comment?.trim() || null;
      const input = {
        journeyId: view.id,
        serviceId: view.serviceId,
        user,
        score: answer.score,
        comment,
        at: new Date().toISOString(),
      };
      const problems = journeyFeedbackInputProblems(input);
      if (problems.length > 0) {
        throw badRequest(
          `The answer is not valid: ${problems.join('; ')}`,
          problems.map((p) => bodyIssue(p.slice(0, p.indexOf(':')), p.slice(p.indexOf(':') + 1).trim())),
        );
      }
      try {
        await withDeadline(client, timeouts.startMs, () =>
          client.workflow.start(journeyFeedbackWorkflowType, journeyFeedbackStartOptions(input, deps.taskQueue)),
        );
      } catch (err) {
        throw toHttpError(err);
      }
    },
  };
}
