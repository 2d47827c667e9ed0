/**
 * A step kind as one self-describing unit: its settings (the plan's step object), the stage it
 * runs in and its label for people, the form fields it reads, what makes its settings wrong, and
 * its workflow function. Register it in ./step-kinds.ts (one line); its activities are a factory
 * in activities/ registered in activities/index.ts. catalog/README.md, "Add a step kind".
 *
 * The function runs inside the workflow: only workflow APIs, the journey's helpers and its own
 * activity proxies (import the activity *types*), never zod, the catalog or Node built-ins.
 */
import type { Journey } from './journey';
import type { FulfilmentOutcome } from './definitions';

/** How a step ended the journey early; null: carry on. */
export type StepEnd = { outcome: FulfilmentOutcome; reason: string } | null;

export interface StepKind<S extends { kind: string }> {
  kind: S['kind'];
  /** The stage it runs in (the `Stage` search attribute) and its label on the status page. */
  stage: string;
  label: string;
  /** This step's label where it depends on the settings (a manual task's is its task); default `label`. */
  labelOf?: (step: S) => string;
  /** Form fields it reads (the catalog refuses a service whose form lacks one). */
  fieldsNeeded?: (step: S) => string[];
  /** What is wrong with the step's settings, in plain sentences; `before` = the kinds ahead of it. */
  problems?: (step: S, before: readonly string[]) => string[];
  /** Runs the step: null to go on, or how the journey ends; a permanent failure throws (the saga runs). */
  run: (j: Journey, step: S) => Promise<StepEnd>;
}

/** The settings type of a registered kind. */
export type StepOf<K> = K extends StepKind<infer S> ? S : never;

/** Identity with checking of the shape, as `defineService` for services. */
export function defineStepKind<S extends { kind: string }>(kind: StepKind<S>): StepKind<S> {
  return kind;
}

/**
 * Finds a kind by name in `list()`, which is read on first use: the registry is made while the
 * modules that hold the kinds may still be loading (they import the journey, which imports it).
 */
export function stepKindLookup<S extends { kind: string }>(
  list: () => readonly { kind: string }[],
): (kind: string) => StepKind<S> | undefined {
  let byKind: ReadonlyMap<string, StepKind<S>> | undefined;
  return (kind) => {
    // Each unit's function takes its own settings; the plan's `kind` says which, so the widening is safe.
    byKind ??= new Map(list().map((k) => [k.kind, k as StepKind<S>]));
    return byKind.get(kind);
  };
}
