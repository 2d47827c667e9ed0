/**
 * The IT console's service picker: IT picks the incident's service from the
 * CMDB's list instead of typing its id from memory.
 *
 * Without JavaScript: the service field is an `<input list>` over a server-rendered
 * `<datalist>` of the CMDB's services (the browser filters it as you type), and a GET search
 * form (`/console?find=…`) lists the matching services with a link that fills the field in.
 * With JavaScript: typing asks `/console/services?q=…` and refills the datalist, so a CMDB with
 * thousands of services is searched as you type.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { BusinessService, Cmdb } from '../../integrations/cmdb/types';
import { html, type SafeHtml } from '../web/html';

/** How many services the datalist and the search answer hold. */
export const pickerLimit = 100;

const searchQuery = z.object({
  q: z
    .string()
    .max(100)
    .optional()
    .transform((v) => v ?? ''),
});

/** The CMDB's services matching `query`; null when the CMDB did not answer (the field still takes an id). */
export async function pickerServices(cmdb: Cmdb, query: string): Promise<BusinessService[] | null> {
  try {
    return await cmdb.searchServices(query.slice(0, 100), pickerLimit);
  } catch {
    return null;
  }
}

/** The search form and its results (no JavaScript needed), for above the declare form. */
export function serviceSearch(find: string, found: BusinessService[] | null): SafeHtml {
  return html`<form method="get" action="/console" role="search" aria-label="Find a CMDB service">
      <label for="f-find">Find a service in the CMDB</label>
      <input id="f-find" type="search" name="find" value="${find}" maxlength="100" />
      <button type="submit">Find</button>
    </form>
    ${
      find === ''
        ? null
        : found === null
          ? html`<p class="error">The CMDB did not answer; type the service id.</p>`
          : found.length === 0
            ? html`<p>No service in the CMDB matches “${find}”.</p>`
            : html`<ul aria-label="Services matching “${find}”">
                ${found.map(
                  (s) =>
                    html`<li>
                      <a href="/console?serviceId=${encodeURIComponent(s.id)}#declare-heading" data-service="${s.id}"
                        >${s.name} (${s.id})</a
                      >
                    </li>`,
                )}
              </ul>`
    }`;
}

/** The service field of the declare form: an input over the CMDB's list. */
export function serviceField(
  errors: Record<string, string>,
  values: Record<string, unknown>,
  services: BusinessService[] | null,
): SafeHtml {
  const value = typeof values.serviceId === 'string' ? values.serviceId : '';
  const invalid = errors.serviceId ? html` aria-invalid="true"` : null;
  return html`<label for="f-serviceId"
      >Service<span class="hint" id="serviceId-hint"
        >${
          services === null
            ? 'The CMDB’s list could not be loaded: type the service id, e.g. crm'
            : 'Start typing its name or id; the CMDB’s services are suggested'
        }</span
      ></label
    ><input
      id="f-serviceId"
      name="serviceId"
      value="${value}"
      list="cmdb-services"
      autocomplete="off"
      data-service-search="/console/services"
      aria-describedby="serviceId-hint serviceId-error"
      required
      ${invalid}
    /><datalist id="cmdb-services">
      ${(services ?? []).map((s) => html`<option value="${s.id}">${s.name}</option>`)}</datalist
    ><span class="error" id="serviceId-error">${errors.serviceId ?? ''}</span>`;
}

/** `GET /console/services?q=`: the picker's search as you type (JSON), in the IT console's group of routes. */
export function registerServicePickerRoutes(app: FastifyInstance, deps: { cmdb: Cmdb }): void {
  app.get('/console/services', async (request, reply) => {
    const parsed = searchQuery.safeParse(request.query ?? {});
    const services = await pickerServices(deps.cmdb, parsed.success ? parsed.data.q : '');
    if (services === null) return reply.code(503).send({ services: [], error: 'The CMDB did not answer' });
    return reply.header('cache-control', 'no-store').send({ services });
  });
}
