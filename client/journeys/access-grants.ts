/**
 * Access grants for the portal and the API, read from the grant workflows themselves (no second
 * copy): "My access" lists a person's running `accessGrantWorkflow`s by the `Requester` search
 * attribute and asks each for its `accessStatus`; "ending soon" filters on `AccessEndsAt`.
 * Extend, end and the extension decision are the workflow's updates (validators answer 403/409/400).
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import {
  accessGrantWorkflowType,
  accessStatusQuery,
  decideExtensionUpdate,
  endAccessUpdate,
  extendAccessUpdate,
  type AccessGrantStatus,
  type ExtendAccessResult,
} from '../../workflows/access/definitions';
import { conflict, notFound, toHttpError } from '../errors';
import { listExecutions, quote, withDeadline } from './temporal-reads';

/** Grant ids are their workflow ids: `access-<service>-<requestId>`. */
export const grantIdPattern = /^access-[a-z0-9-]+-[A-Za-z0-9_.:-]{1,80}$/;

export interface AccessGrantsDeps {
  client: Client;
  /** Deadline of one grant's status, in ms; lists ask every grant at once within `listMs`. */
  readMs: number;
  listMs: number;
  updateMs: number;
}

export function createAccessGrants(deps: AccessGrantsDeps) {
  const { client } = deps;
  const running = `WorkflowType = ${quote(accessGrantWorkflowType)} AND ExecutionStatus = "Running"`;

  async function statuses(query: string, limit: number): Promise<AccessGrantStatus[]> {
    const infos = await listExecutions(client, query, limit, deps.listMs);
    const all = await Promise.all(
      infos.map((i) =>
        withDeadline(client, deps.listMs, () => client.workflow.getHandle(i.workflowId).query(accessStatusQuery)).catch(
          () => null,
        ),
      ),
    );
    return all.filter((s): s is AccessGrantStatus => s !== null);
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
    async grantsOf(person: string): Promise<AccessGrantStatus[]> {
      const list = await statuses(`${running} AND Requester = ${quote(person.toLowerCase())}`, 100);
      return list.sort((a, b) => a.since.localeCompare(b.since));
    },
    /** Running grants that end before `beforeIso`, soonest first (the IT console). */
    async endingBefore(beforeIso: string): Promise<AccessGrantStatus[]> {
      const list = await statuses(`${running} AND AccessEndsAt < ${quote(beforeIso)}`, 200);
      return list.sort((a, b) => (a.until ?? '').localeCompare(b.until ?? ''));
    },
    async grant(id: string): Promise<AccessGrantStatus | null> {
      if (!grantIdPattern.test(id)) return null;
      try {
        return await withDeadline(client, deps.readMs, () => client.workflow.getHandle(id).query(accessStatusQuery));
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
