/**
 * Reading journeys without ever making a page wait on one: every call to Temporal from a page
 * has a short deadline, lists are bounded, and a tiny time-based cache absorbs bursts (a
 * company-wide incident makes every home page ask for the same banner at once).
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';

/** Runs a Temporal call with a gRPC deadline `ms` from now (the server stops waiting too). */
export function withDeadline<T>(client: Client, ms: number, fn: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + ms, fn);
}

/** Resolves to `fallback` if `promise` takes longer than `ms` (for non-Temporal calls such as the CMDB). */
export function orAfter<T>(ms: number, promise: Promise<T>, fallback: T): Promise<{ value: T; timedOut: boolean }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ value: fallback, timedOut: true }), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ value, timedOut: false });
      },
      () => {
        clearTimeout(timer);
        resolve({ value: fallback, timedOut: true });
      },
    );
  });
}

/** At most `limit` executions matching a visibility query, newest first, within `ms`. */
export async function listExecutions(
  client: Client,
  query: string,
  limit: number,
  ms: number,
): Promise<WorkflowExecutionInfo[]> {
  return withDeadline(client, ms, async () => {
    const out: WorkflowExecutionInfo[] = [];
    for await (const info of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
      out.push(info);
      if (out.length >= limit) break;
    }
    return out.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
  });
}

/**
 * One view per listed execution, in the list's order: `ask` (the workflow's own answer, a query
 * within the caller's deadline) where it answers, else `fromVisibility` (its search attributes,
 * start time and status). A journey whose worker is down or slow still shows, marked as partial
 * by `fromVisibility`, instead of dropping out of the list; `onFallback` hears why.
 */
export function viewsOrVisibility<T>(
  infos: WorkflowExecutionInfo[],
  ask: (info: WorkflowExecutionInfo) => Promise<T>,
  fromVisibility: (info: WorkflowExecutionInfo) => T | Promise<T>,
  onFallback?: (info: WorkflowExecutionInfo, err: unknown) => void,
): Promise<T[]> {
  return Promise.all(
    infos.map((info) =>
      ask(info).catch((err: unknown) => {
        onFallback?.(info, err);
        return fromVisibility(info);
      }),
    ),
  );
}

/** Quotes a value for a visibility query string. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A small time-to-live cache of promises: concurrent callers share one call. */
export class TtlCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 1000,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = load();
    this.entries.set(key, { at: now, value });
    // A failed load is not kept: the next caller tries again.
    value.catch(() => this.entries.delete(key));
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return value;
  }

  invalidate(key?: string): void {
    if (key === undefined) this.entries.clear();
    else this.entries.delete(key);
  }
}
