import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allSearchAttributes } from '../../workflows/shared/search-attributes';
import { connectTestEnv } from '../support/temporal';

describe('the suite’s Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await connectTestEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('is a real server with the journeys’ search attributes registered', async () => {
    const system = await env.connection.workflowService.getSystemInfo({});
    expect(system.serverVersion).toMatch(/^\d+\.\d+/);
    const { customAttributes } = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const key of allSearchAttributes) {
      expect(Object.keys(customAttributes ?? {})).toContain(key.name);
    }
  });
});
