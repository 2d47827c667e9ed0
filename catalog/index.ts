/**
 * The service catalog: the one registry the API, the portal and the worker read.
 *
 * - The portal and the API list, show and search services ({@link listServices},
 *   {@link getService}, {@link searchCatalog}) and validate a request with the service's zod
 *   form, then start the journey with {@link prepareRequest} → `client.workflow.start(
 *   fulfilmentWorkflowType, prepared.options)`.
 * - The workflow never imports this module: the service's plain-data plan travels in its input.
 */
import { z } from 'zod';
import { xlaTargetSchema } from '../experience/xla';
import {
  fieldsNeededBy,
  fulfilmentInputProblems,
  fulfilmentStartOptions,
  planProblems,
  type FulfilmentInput,
} from '../workflows/fulfilment/definitions';
import * as registered from './registry';
import { search } from './search';
import type { CatalogService } from './types';

export {
  defineService,
  type CatalogService,
  type QuickStartGuide,
  type RequestFields,
  type ServicePlan,
} from './types';
export { scoreService } from './search';

/** A request to start, as the API has it after sign-in. */
export interface RequestToStart {
  serviceId: string;
  /** From the API: derived from the Idempotency-Key (same key → same id → the same journey). */
  requestId: string;
  /** Directory accountName of the signed-in person. */
  requester: string;
  /** The form values as posted; validated here with the service's form. */
  fields: unknown;
  /** How the UI summary names the requester, e.g. their email; defaults to the account name. */
  requesterLabel?: string;
  requestedAt?: string;
  taskQueue: string;
  /** Tests and demos only. */
  retryInitialIntervalMs?: number;
}

export interface PreparedRequest {
  service: CatalogService;
  input: FulfilmentInput;
  /** Spread into `client.workflow.start(fulfilmentWorkflowType, options)`. */
  options: ReturnType<typeof fulfilmentStartOptions>;
}

/** The request cannot start: unknown service, or the form's own messages per field. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  constructor(
    message: string,
    /** Field name → the first message for it (`_request` for problems not about one field). */
    readonly fieldErrors: Record<string, string>,
  ) {
    super(message);
  }
}

export interface Catalog {
  /** Every service, by title. */
  list(): CatalogService[];
  get(id: string): CatalogService | null;
  /** Best match first; every service for an empty query. */
  search(query: string): CatalogService[];
  /** Validates the form and builds the journey's input and start options. Throws {@link InvalidRequestError}. */
  prepareRequest(request: RequestToStart): PreparedRequest;
}

/** What is wrong with a set of services (empty = fine): the registry refuses to start otherwise. */
export function catalogProblems(services: readonly CatalogService[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const s of services) {
    const at = `service ${s.id}`;
    if (seen.has(s.id)) problems.push(`${at}: id used twice`);
    seen.add(s.id);
    if (s.plan.serviceId !== s.id) problems.push(`${at}: plan.serviceId is ${s.plan.serviceId}`);
    if (s.plan.title !== s.title) problems.push(`${at}: plan.title is ${s.plan.title}`);
    problems.push(...planProblems(s.plan).map((p) => `${at}: ${p}`));
    for (const [name, text] of [
      ['summary', s.summary],
      ['guide.title', s.guide.title],
    ] as const) {
      if (text.trim() === '') problems.push(`${at}: ${name} must not be empty`);
    }
    if (s.description.length === 0 || s.whatHappensNext.length === 0)
      problems.push(`${at}: description and whatHappensNext need at least one line`);
    if (!(s.form instanceof z.ZodObject)) problems.push(`${at}: form must be a z.object`);
    else {
      const shape = Object.keys(s.form.shape);
      for (const step of s.plan.steps) {
        for (const f of fieldsNeededBy(step))
          if (!shape.includes(f)) problems.push(`${at}: the ${step.kind} step needs form field ${f}`);
      }
    }
    s.xla.forEach((t, i) => {
      const r = xlaTargetSchema.safeParse(t);
      if (!r.success) problems.push(`${at}: xla[${i}]: ${r.error.issues.map((x) => x.message).join('; ')}`);
    });
  }
  return problems;
}

/** Builds a catalog over `services` (tests add their own); throws when a service is inconsistent. */
export function createCatalog(services: readonly CatalogService[]): Catalog {
  const problems = catalogProblems(services);
  if (problems.length > 0) throw new Error(`The service catalog is inconsistent:\n- ${problems.join('\n- ')}`);
  const byTitle = [...services].sort((a, b) => a.title.localeCompare(b.title));
  const byId = new Map(services.map((s) => [s.id, s]));
  return {
    list: () => [...byTitle],
    get: (id) => byId.get(id) ?? null,
    search: (query) => search(byTitle, query),
    prepareRequest(request) {
      const service = byId.get(request.serviceId);
      if (!service)
        throw new InvalidRequestError(`There is no service "${request.serviceId}"`, { _request: 'Unknown service' });
      const parsed = service.form.safeParse(request.fields ?? {});
      if (!parsed.success) {
        const fieldErrors: Record<string, string> = {};
        for (const issue of parsed.error.issues) {
          const key = issue.path.length > 0 ? String(issue.path[0]) : '_request';
          fieldErrors[key] ??= issue.message;
        }
        throw new InvalidRequestError(
          `The ${service.title} request form is not complete: ${Object.entries(fieldErrors)
            .map(([k, v]) => `${k}: ${v}`)
            .join('; ')}`,
          fieldErrors,
        );
      }
      const input: FulfilmentInput = {
        requestId: request.requestId,
        requester: request.requester.trim().toLowerCase(),
        plan: service.plan,
        fields: parsed.data,
        ...(request.requestedAt !== undefined ? { requestedAt: request.requestedAt } : {}),
        ...(request.retryInitialIntervalMs !== undefined
          ? { retryInitialIntervalMs: request.retryInitialIntervalMs }
          : {}),
      };
      const inputProblems = fulfilmentInputProblems(input);
      if (inputProblems.length > 0)
        throw new InvalidRequestError(`The request cannot start: ${inputProblems.join('; ')}`, {
          _request: inputProblems.join('; '),
        });
      const detail = service.describeRequest?.(parsed.data);
      const options = fulfilmentStartOptions(input, request.taskQueue, {
        ...(request.requesterLabel ? { requesterLabel: request.requesterLabel } : {}),
        ...(detail ? { detail } : {}),
      });
      return { service, input, options };
    },
  };
}

/** The catalog of this deployment: every service in registry.ts. */
export const catalog: Catalog = createCatalog(Object.values(registered));

/** Every service, by title. */
export const listServices = (): CatalogService[] => catalog.list();
/** One service by id, or null. */
export const getService = (id: string): CatalogService | null => catalog.get(id);
/** Best match first: "Expensatron" finds the Expensatron page first. */
export const searchCatalog = (query: string): CatalogService[] => catalog.search(query);
/** See {@link Catalog.prepareRequest}. */
export const prepareRequest = (request: RequestToStart): PreparedRequest => catalog.prepareRequest(request);
/** The service has a step that waits for an approver. */
export const needsApproval = (service: CatalogService): boolean =>
  service.plan.steps.some((s) => s.kind === 'approval' || s.kind === 'access-approval');
