import { fileURLToPath } from 'node:url';
import type { NativeConnection } from '@temporalio/worker';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * The worker's part of recovering from a crash (the activities' part is in
 * workflows/shared/activity-options.ts).
 */
export const workerTimeouts = {
  /**
   * A workflow task for a journey this worker has cached waits this long on the worker's own
   * (sticky) queue before any worker may take it. A live worker takes it in milliseconds; a
   * killed one never does, and the default (10 s) would add that to every journey it had in
   * flight. On expiry the task goes to the shared queue and is replayed from history: no harm.
   */
  stickyQueueScheduleToStartTimeout: '3 seconds',
  /**
   * On SIGTERM/SIGINT: stop polling, then give running activities this long to finish and report
   * (a provider call takes milliseconds, a stuck one ends at its adapter's timeout) before they
   * are told to stop (batch pages stop between sends, report, and resume elsewhere from their
   * heartbeat). Well inside the 10 s `docker stop` and docker compose allow by default between
   * SIGTERM and SIGKILL, which the previous 10 s used up entirely (a restart became a kill).
   */
  shutdownGraceTime: '5 seconds',
  /**
   * At most one heartbeat per running activity per second reaches the server (activities
   * heartbeat every second, activities/keep-alive.ts). The SDK's default throttle is 80 % of the
   * heartbeat timeout, which would leave a live worker only 1 s of slack against a 5 s timeout.
   */
  maxHeartbeatThrottleInterval: '1 second',
} as const satisfies Partial<WorkerOptions>;

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (production image); otherwise the workflows are bundled at start-up. */
  workflowBundlePath?: string;
  /**
   * Activities registered besides the product's (the benchmarks' no-op); a name the product
   * already registers is refused, so nothing can stand in for a real activity.
   */
  extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
  extra?: Omit<Partial<WorkerOptions>, 'activities'>;
}

/** The one place a Worker is put together, for `npm start`, the worker process and tests alike. */
export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  const activities = createActivities(setup.deps);
  const clash = Object.keys(setup.extraActivities ?? {}).filter((name) => name in activities);
  if (clash.length > 0) throw new Error(`extra activities may not replace the product's: ${clash.join(', ')}`);
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    ...(setup.workflowBundlePath ? { workflowBundle: { codePath: setup.workflowBundlePath } } : { workflowsPath }),
    activities: { ...activities, ...setup.extraActivities },
    ...workerTimeouts,
    ...setup.extra,
  });
}
