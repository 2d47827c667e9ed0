/**
 * What the portal and the API need from the service catalog (catalog/index.ts), in one small
 * interface: the services as pages show them, search, and preparing a journey's start.
 */
import {
  catalog as deploymentCatalog,
  type Catalog,
  type CatalogService,
  type PreparedRequest,
  type RequestToStart,
} from '../../catalog';
import type { ServiceXlaDefinition } from '../../experience/report';
import type { GrantAccessStep } from '../../workflows/access/definitions';
import { planStages } from '../../workflows/fulfilment/definitions';
import type { ServiceView } from './views';

/** The catalog as the portal and the API use it. */
export interface CatalogPort {
  services(): ServiceView[];
  service(id: string): ServiceView | null;
  /** Best match first. */
  search(query: string): ServiceView[];
  /** Validates the form and builds the journey's input and start options (throws InvalidRequestError). */
  prepare(request: RequestToStart): PreparedRequest;
  /** Each service's experience targets, named by its title, for the experience report. */
  xlaDefinitions(): ServiceXlaDefinition[];
  /** An access role as the service's `grant-access` step defines it today (null: no such role). */
  accessRole(serviceId: string, role: string): { serviceTitle: string; roleLabel: string; group: string } | null;
}

function toView(s: CatalogService): ServiceView {
  return {
    id: s.id,
    title: s.title,
    summary: s.summary,
    description: s.description,
    whatHappensNext: s.whatHappensNext,
    keywords: s.keywords,
    stages: planStages(s.plan),
    xla: s.xla,
    needsApproval: s.plan.steps.some((step) => step.kind === 'approval' || step.kind === 'access-approval'),
    form: s.form,
    guide: s.guide,
  };
}

/** The port over a catalog; default: this deployment's catalog (every service in catalog/registry.ts). */
export function createCatalogPort(catalog: Catalog = deploymentCatalog): CatalogPort {
  const views = new Map(catalog.list().map((s) => [s.id, toView(s)]));
  const view = (s: CatalogService): ServiceView => views.get(s.id) ?? toView(s);
  return {
    services: () => catalog.list().map(view),
    service: (id) => {
      const s = catalog.get(id);
      return s ? view(s) : null;
    },
    search: (query) => catalog.search(query).map(view),
    prepare: (request) => catalog.prepareRequest(request),
    xlaDefinitions: () => catalog.list().map((s) => ({ serviceId: s.id, name: s.title, xla: s.xla })),
    accessRole: (serviceId, role) => {
      const s = catalog.get(serviceId);
      const grant = s?.plan.steps.find((step): step is GrantAccessStep => step.kind === 'grant-access');
      const r = grant && Object.hasOwn(grant.roles, role) ? grant.roles[role] : undefined;
      return s && r ? { serviceTitle: s.title, roleLabel: r.label, group: r.group } : null;
    },
  };
}
