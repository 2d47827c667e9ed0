import { fileURLToPath } from 'node:url';
import type { NativeConnection} from '@temporalio/worker';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (production image); otherwise the workflows are bundled at start-up. */
  workflowBundlePath?: string;
  extra?: Partial<WorkerOptions>;
}

/** The one place a Worker is put together, for `npm start`, the worker process and tests alike. */
export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    ...(setup.workflowBundlePath ? { workflowBundle: { codePath: setup.workflowBundlePath } } : { workflowsPath }),
    activities: createActivities(setup.deps),
    // Let running activities finish (and report) before the process exits on Ctrl-C / SIGTERM.
    shutdownGraceTime: '10 seconds',
    ...setup.extra,
  });
}
