/**
 * Access grants for the portal and the API, read from the grant workflows themselves (no second
 * copy): "My access" lists a person's running `accessGrantWorkflow`s by the `Requester` search
 * attribute and asks each for its `accessStatus`; "ending soon" filters on `AccessEndsAt`. A
 * grant that does not answer in time (its worker down or slow) is still listed, from its search
 * attributes (`complete: false`), never left out. Extend, end and the extension decision are the
 * workflow's updates (validators answer 403/409/400).
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import {
  accessGrantWorkflowType,
  accessStatusQuery,
  decideExtensionUpdate,
  endAccessUpdate,
  extendAccessUpdate,
  type AccessGrantState,
  type ExtendAccessResult,
} from '../../workflows/access/definitions';
import { fulfilmentWorkflowId } from '../../workflows/fulfilment/definitions';
import { AccessEndsAt, AccessRole, Requester, ServiceId, Stage } from '../../workflows/shared/search-attributes';
import { conflict, notFound, toHttpError } from '../errors';
import type { CatalogPort } from './catalog-port';
import { listExecutions, quote, viewsOrVisibility, withDeadline } from './temporal-reads';
import type { AccessGrantView } from './views';

/** Grant ids are their workflow ids: `access-<service>-<requestId>`. */
export const grantIdPattern = /^access-[a-z0-9-]+-[A-Za-z0-9_.:-]{1,80}$/;

export interface AccessGrantsDeps {
  client: Client;
  /** Names the roles of a grant that cannot answer (the catalog's `grant-access` steps). */
  catalog: Pick<CatalogPort, 'accessRole'>;
  log: FastifyBaseLogger;
  /** Deadline of one grant's status (its page, an action), in ms. */
  readMs: number;
  /** Deadline of each listed grant's status; past it the list shows the grant from visibility. */
  queryMs: number;
  /** Deadline of the visibility list. */
  listMs: number;
  updateMs: number;
}

const grantStates: readonly string[] = ['active', 'ending', 'ended'] satisfies AccessGrantState[];

export function createAccessGrants(deps: AccessGrantsDeps) {
  const { client } = deps;
  const running = `WorkflowType = ${quote(accessGrantWorkflowType)} AND ExecutionStatus = "Running"`;

  /**
   * A grant from its search attributes, start time and status. Since: the start of the grant's
   * first run (a grant that continued as new is a later run; its first run's start is one
   * describe away, and the server answers that without the worker).
   */
  async function fromVisibility(info: WorkflowExecutionInfo): Promise<AccessGrantView> {
    const sa = info.typedSearchAttributes;
    const serviceId = sa.get(ServiceId) ?? '';
    const role = sa.get(AccessRole) ?? '';
    const named = deps.catalog.accessRole(serviceId, role);
    const stage = sa.get(Stage) ?? 'active';
    const until = sa.get(AccessEndsAt);
    const prefix = `access-${serviceId}-`;
    const firstRunId = info.raw.firstRunId;
    const since =
      firstRunId && firstRunId !== info.runId
        ? await withDeadline(client, deps.queryMs, () =>
            client.workflow.getHandle(info.workflowId, firstRunId).describe(),
          )
            .then((first) => first.startTime)
            .catch(() => null)
        : info.startTime;
    return {
      grantId: info.workflowId,
      requestWorkflowId: info.workflowId.startsWith(prefix)
        ? fulfilmentWorkflowId(serviceId, info.workflowId.slice(prefix.length))
        : '',
      serviceId,
      serviceTitle: named?.serviceTitle ?? serviceId,
      person: sa.get(Requester) ?? '',
      role,
      roleLabel: named?.roleLabel ?? role,
      group: named?.group ?? '',
      // A first run not described in time: this run's start, later than the grant but still true (held since then).
      since: (since ?? info.startTime).toISOString(),
      until: until ? until.toISOString() : null,
      state: grantStates.includes(stage) ? (stage as AccessGrantState) : 'active',
      endReason: null,
      endedAt: null,
      pendingExtension: null,
      extensions: [],
      reminderSent: false,
      removalFailures: 0,
      complete: false,
    };
  }

  async function statuses(query: string, limit: number): Promise<AccessGrantView[]> {
    let infos: WorkflowExecutionInfo[];
    try {
      infos = await listExecutions(client, query, limit, deps.listMs);
    } catch (err) {
      throw toHttpError(err);
    }
    return viewsOrVisibility(
      infos,
      async (info) => ({
        ...(await withDeadline(client, deps.queryMs, () =>
          client.workflow.getHandle(info.workflowId).query(accessStatusQuery),
        )),
        complete: true,
      }),
      fromVisibility,
      (info, err) =>
        deps.log.warn(
          { err: { message: err instanceof Error ? err.message : String(err) }, workflowId: info.workflowId },
          'access status query failed; listing the grant from its search attributes',
        ),
    );
  }

  async function update<R>(id: string, run: () => Promise<R>): Promise<R> {
    if (!grantIdPattern.test(id)) throw notFound(`No access grant ${id}`);
    try {
      return await withDeadline(client, deps.updateMs, run);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`No access grant ${id}`);
      throw toHttpError(err);
    }
  }

  return {
    /** What `person` has through this product, now (ending ones included until removed). */
    async grantsOf(person: string): Promise<AccessGrantView[]> {
      const list = await statuses(`${running} AND Requester = ${quote(person.toLowerCase())}`, 100);
      return list.sort((a, b) => a.since.localeCompare(b.since));
    },
    /** Running grants that end before `beforeIso`, soonest first (the IT console). */
    async endingBefore(beforeIso: string): Promise<AccessGrantView[]> {
      const list = await statuses(`${running} AND AccessEndsAt < ${quote(beforeIso)}`, 200);
      return list.sort((a, b) => (a.until ?? '').localeCompare(b.until ?? ''));
    },
    async grant(id: string): Promise<AccessGrantView | null> {
      if (!grantIdPattern.test(id)) return null;
      try {
        const s = await withDeadline(client, deps.readMs, () => client.workflow.getHandle(id).query(accessStatusQuery));
        return { ...s, complete: true };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw toHttpError(err);
      }
    },
    extend(
      id: string,
      by: string,
      ask: { until: string; reason: string; requestId?: string },
    ): Promise<ExtendAccessResult> {
      return update(id, () =>
        client.workflow.getHandle(id).executeUpdate(extendAccessUpdate, {
          args: [{ by, requestId: ask.requestId ?? randomUUID(), until: ask.until, reason: ask.reason }],
        }),
      );
    },
    async end(id: string, by: string, staff: boolean, reason: string | null): Promise<void> {
      const current = await this.grant(id);
      if (current && current.state !== 'active') throw conflict('This access is ending or has ended');
      await update(id, () =>
        client.workflow.getHandle(id).executeUpdate(endAccessUpdate, { args: [{ by, staff, reason }] }),
      );
    },
    async decideExtension(id: string, approver: string, approve: boolean, reason: string | null): Promise<void> {
      await update(id, () =>
        client.workflow.getHandle(id).executeUpdate(decideExtensionUpdate, { args: [{ approver, approve, reason }] }),
      );
    },
  };
}

export type AccessGrants = ReturnType<typeof createAccessGrants>;
