/**
 * What a catalog service is. A service is one folder under catalog/services/: `plan.ts` is what
 * the journey runs (plain data, no zod: it travels in the workflow's input), `index.ts` is what
 * people see and type (page text, keywords, the zod request form, the quick-start guide, the
 * experience targets). See catalog/README.md, "Add a service".
 */
import type { z } from 'zod';
import type { XlaTarget } from '../experience/types';
import type { RequestFields, ServicePlan } from '../workflows/fulfilment/definitions';

export type { RequestFields, ServicePlan } from '../workflows/fulfilment/definitions';

/** The quick-start guide the portal shows after a request and links from the emails. */
export interface QuickStartGuide {
  title: string;
  sections: { heading: string; text: string }[];
}

/**
 * A service in the catalog. The request form is a zod schema of exactly what the person types
 * (identity comes from the sign-in); its output is the journey's `fields` (text values only).
 * Label fields with `.meta({ title, description })`: the portal builds the form from it.
 */
export interface CatalogService {
  /** Stable id: part of workflow ids and URLs (`fulfil-<id>-…`, `/catalog/<id>`). Equals `plan.serviceId`. */
  id: string;
  /** The name people search for, e.g. `Expensatron`. */
  title: string;
  /** One plain sentence for search results. */
  summary: string;
  /** What it is, in plain words: paragraphs of the service page. */
  description: string[];
  /** Other words people may search with (`expenses`, `receipts`). */
  keywords: string[];
  /** What happens after you ask, step by step, in plain words. */
  whatHappensNext: string[];
  form: z.ZodType<RequestFields>;
  plan: ServicePlan;
  guide: QuickStartGuide;
  /** Experience level agreement targets (experience/xla.ts). */
  xla: XlaTarget[];
  /** A few words about one request for the Temporal UI's summary, e.g. `Android`. */
  describeRequest?: (fields: RequestFields) => string;
}

/** Identity with checking of the shape: lets a service module say what it is. */
export function defineService(service: CatalogService): CatalogService {
  return service;
}
