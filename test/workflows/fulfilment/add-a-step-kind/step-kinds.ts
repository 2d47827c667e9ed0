/**
 * workflows/fulfilment/step-kinds.ts as the test's workflow bundle has it: every import of the
 * registry gets this file, which imports the real one (the bundle lets it) and adds the kind.
 */
import * as registered from '../../../../workflows/fulfilment/step-kinds';
import { withPrintBadge } from './register';

export const { stepKinds, stepKind } = withPrintBadge(registered);
