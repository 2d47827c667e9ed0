/**
 * The registry of step kinds: every kind a plan may name, one line each (a family of kinds, such
 * as the built-in ones of steps.ts, as one spread). A kind is one unit (step-kind.ts): its
 * settings type, stage and label, the form fields it reads, its settings' problems, and its
 * workflow function; its activities are a factory registered in activities/index.ts. The plan
 * names a kind by `kind`; definitions.ts (stages, plan checks) and workflow.ts (running it) look
 * it up here. catalog/README.md, "Add a step kind".
 */
import { accessApprovalStep, confirmAccessStep, grantAccessStep } from '../access/steps';
import type { FulfilmentStep } from './definitions';
import { stepKindLookup } from './step-kind';
import { builtInStepKinds } from './steps';

/** A function, so the list is read when first asked for (see `stepKindLookup`). */
export const stepKinds = () => [...builtInStepKinds, accessApprovalStep, grantAccessStep, confirmAccessStep] as const;

export type StepKinds = ReturnType<typeof stepKinds>;

/** A kind by name, or undefined (not a kind: the plan is wrong). */
export const stepKind = stepKindLookup<FulfilmentStep>(stepKinds);
