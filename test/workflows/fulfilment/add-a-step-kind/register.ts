/**
 * Step 4 of "Add a step kind": the registry, workflows/fulfilment/step-kinds.ts, with the test's
 * kind added in one line. The test's workflow bundle has it in place of the registry
 * (./step-kinds.ts, swapped in by `bundleTestWorkflows`), and so does the test process
 * (`vi.mock`), so the catalog's checks and the journey find the kind as they find any other.
 */
import type { FulfilmentStep } from '../../../../workflows/fulfilment/definitions';
import { stepKindLookup } from '../../../../workflows/fulfilment/step-kind';
import type * as registry from '../../../../workflows/fulfilment/step-kinds';
import { printBadgeStep } from './print-badge';

/** The registry's exports with the kind added, built over the real registry module. */
export function withPrintBadge(registered: typeof registry): typeof registry {
  const stepKinds = () => [...registered.stepKinds(), printBadgeStep] as const;
  return {
    // Its settings type cannot join FulfilmentStep from here (that is the real file's line); the
    // registry type stays the real one's and the test's plan says it holds a print-badge step.
    stepKinds: stepKinds as unknown as typeof registered.stepKinds,
    stepKind: stepKindLookup<FulfilmentStep>(stepKinds),
  };
}
