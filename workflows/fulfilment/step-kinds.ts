/**
 * The registry of step kinds beyond the built-in ones of steps.ts: one line per kind. A kind is
 * one unit (step-kind.ts): its settings type, stage and label, the form fields it reads, its
 * settings' problems, and its workflow function; its activities are a factory registered in
 * activities/index.ts. The plan names a kind by `kind`; definitions.ts (stages, plan checks)
 * and steps.ts (running it) look it up here. catalog/README.md, "Add a step kind".
 */
import { accessApprovalStep, confirmAccessStep, grantAccessStep } from '../access/steps';
import type { StepKind, StepOf } from './step-kind';

export const registeredStepKinds = [accessApprovalStep, grantAccessStep, confirmAccessStep] as const;

/** The settings of every registered kind (part of `FulfilmentStep`). */
export type RegisteredStep = StepOf<(typeof registeredStepKinds)[number]>;

/** A registered kind by name, or undefined (a built-in kind, or unknown). */
export function registeredStepKind(kind: string): StepKind<RegisteredStep> | undefined {
  // Each unit's function takes its own settings; the plan's `kind` says which, so the widening is safe.
  return (registeredStepKinds as readonly unknown[] as readonly StepKind<RegisteredStep>[]).find(
    (k) => k.kind === kind,
  );
}
