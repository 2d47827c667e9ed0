/**
 * Starts one real Temporal dev server (throwaway in-memory database, free port) for the whole
 * test run and tells every test file where it is. Torn down when the run ends.
 */
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../embedded/dev-server';

let server: DevServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  server = await startDevServer({ log: (l) => console.error(l) });
  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespace', server.namespace);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
  }
}
