import type { ActivityDeps } from './deps';
import { createAccessActivities } from './access';
import { createFulfilmentActivities } from './fulfilment';
import { createIncidentActivities } from './incident';
import { createExperienceActivities } from './experience';
import { createWebhookActivities } from './webhooks';

/**
 * All activities the worker registers, built over injected integrations
 * (`createActivities(deps)`, as in Temporal's dependency-injection sample). Workflows type their
 * proxies with `proxyActivities<Activities>()` via `import type`.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createFulfilmentActivities(deps),
    // Step kinds' own activities (workflows/fulfilment/step-kinds.ts): one line per factory.
    ...createAccessActivities(deps),
    ...createIncidentActivities(deps),
    ...createExperienceActivities(deps),
    ...createWebhookActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
