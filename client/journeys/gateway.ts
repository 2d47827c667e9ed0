/**
 * The portal's and the API's only door to the journeys. It starts workflows by type name with
 * the typed inputs from `workflows/*\/definitions.ts`, reads them through their queries and
 * search attributes, and acts on them through their updates — never a second copy of their
 * state, and never workflow code.
 */
import type { EventRoute } from '../../workflows/shared/event-types';
import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import type { BusinessService, Cmdb } from '../../integrations/cmdb/types';
import type { Directory } from '../../integrations/directory/types';
import type { PersonState } from '../../workflows/incident/definitions';
import {
  createIncidentJourneys,
  type ConfirmOutcome,
  type DeclareInput,
  type IncidentJourneysDeps,
  type LinkCheck,
  type MarkAffectedResult,
  type NpsOutcome,
} from './incidents';
import { createCatalogPort, type CatalogPort } from './catalog-port';
import { createRequestJourneys } from './requests';
import type { IncidentView, RequestList, RequestView, ServiceView } from './views';
import { defaultTimeouts, type JourneyTimeouts } from './common';

export type { MarkAffectedResult, ConfirmOutcome, NpsOutcome, LinkCheck, DeclareInput } from './incidents';

/**
 * Every journey operation the portal and the API use. Reads never throw for a slow journey:
 * they degrade; actions throw {@link HttpError}s (400 / 403 / 404 / 409 / 503).
 */
export interface Journeys {
  catalog(): ServiceView[];
  service(id: string): ServiceView | null;
  /** Best match first: a word in the title beats one in the description. */
  search(query: string): ServiceView[];

  /**
   * Starts a fulfilment journey. The request id is derived from `requestKey` when given, so the
   * same key starts one journey and returns it again (`created: false`); the same key with
   * different input is a conflict. Without a key every call starts a new journey.
   */
  submitRequest(input: {
    serviceId: string;
    requester: string;
    fields: Record<string, unknown>;
    requestKey: string | null;
    requesterLabel?: string;
  }): Promise<{
    id: string;
    created: boolean;
    /** Its first workflow task came back in the start response to this process's worker (see requests.ts). */
    eagerlyStarted: boolean;
  }>;
  /** null when there is no such request. */
  request(id: string): Promise<RequestView | null>;
  /** This person's latest requests, newest first. */
  requestsOf(accountName: string): Promise<RequestList>;
  /** Requests this approver may decide (their own reports', or a group's they are in). */
  awaitingApproval(approver: string): Promise<RequestList>;
  decide(id: string, approver: string, decision: { approve: boolean; reason: string | null }): Promise<void>;
  /** With an idempotency key, the same correction sent again is answered by the first one's outcome. */
  correctDevice(
    id: string,
    accountName: string,
    phone: string,
    os: 'ios' | 'android' | null,
    idempotencyKey?: string,
  ): Promise<void>;
  /** The service desk marks a request's manual task (e.g. delivering a desk phone) done. */
  markDelivered(id: string, by: string, note: string | null): Promise<void>;
  /**
   * The requester rates a finished request (NPS 0–10, optional comment); a second answer
   * replaces the first. 404 unknown, 403 not the requester, 409 not finished, 400 bad answer.
   */
  rateRequest(id: string, accountName: string, answer: { score: number; comment: string | null }): Promise<void>;
  /** Requests waiting for the service desk's manual work. */
  awaitingServiceDesk(): Promise<RequestList>;

  cmdbService(id: string): Promise<BusinessService | null>;
  /** Same idempotency rules as {@link submitRequest}, with `incidentKey`. */
  declareIncident(input: DeclareInput): Promise<{ id: string; created: boolean }>;
  /** Banners for the services this person subscribes to; `complete: false` when something was too slow. */
  bannersFor(accountName: string): Promise<{ incidents: IncidentView[]; complete: boolean }>;
  /** Open incidents, on the given services or all. */
  openIncidents(serviceIds: string[] | null): Promise<{ incidents: IncidentView[]; complete: boolean }>;
  incident(id: string): Promise<IncidentView | null>;
  postProgress(id: string, input: { text: string; notifyAffected: boolean; by: string }): Promise<void>;
  resolveIncident(id: string, input: { note: string; by: string }): Promise<void>;
  markAffected(id: string, input: { accountName: string; workaroundSms: boolean }): Promise<MarkAffectedResult>;
  /** This person's state in an incident (null when not affected, or when it could not be read quickly). */
  person(id: string, accountName: string): Promise<PersonState | null>;
  /** The NPS `score` (and `comment`) may come with a "fixed" answer, in the same update. */
  confirm(
    id: string,
    input: { accountName: string; answer: 'fixed' | 'still-broken'; score?: number; comment?: string },
  ): Promise<ConfirmOutcome>;
  recordNps(id: string, input: { accountName: string; score: number; comment: string | null }): Promise<NpsOutcome>;
  /** Checks a confirmation link's token: signed by us, for this incident, not expired. */
  verifyConfirmationLink(token: string, incidentId: string): LinkCheck;

  close(): Promise<void>;
}

/** What the gateway is built over: one long-lived Temporal client and the read-only integrations. */
export interface JourneysDeps {
  client: Client;
  taskQueue: string;
  cmdb: Cmdb;
  directory: Directory;
  linkSecret: string;
  timeouts?: Partial<JourneyTimeouts> | undefined;
  log: FastifyBaseLogger;
  /** Defaults for new incidents (tests pass seconds instead of hours). */
  incidentDefaults?: IncidentJourneysDeps['incidentDefaults'];
  /** The service catalog; default: every service of catalog/registry.ts. */
  catalog?: CatalogPort;
  /** Tests and demos: first retry interval of new journeys' activities, in ms. */
  retryInitialIntervalMs?: number;
  /** Webhook subscriptions every new journey tells (names and event types, no URL or secret). */
  events?: EventRoute[];
}

/** Builds the journeys gateway over one long-lived Temporal client. */
export function createJourneys(deps: JourneysDeps): Journeys {
  const timeouts = { ...defaultTimeouts, ...deps.timeouts };
  const incidents = createIncidentJourneys({
    client: deps.client,
    taskQueue: deps.taskQueue,
    cmdb: deps.cmdb,
    linkSecret: deps.linkSecret,
    timeouts,
    log: deps.log,
    ...(deps.incidentDefaults ? { incidentDefaults: deps.incidentDefaults } : {}),
    ...(deps.events ? { events: deps.events } : {}),
  });
  const requests = createRequestJourneys({
    client: deps.client,
    taskQueue: deps.taskQueue,
    timeouts,
    log: deps.log,
    catalog: deps.catalog ?? createCatalogPort(),
    ...(deps.events ? { events: deps.events } : {}),
    ...(deps.retryInitialIntervalMs !== undefined ? { retryInitialIntervalMs: deps.retryInitialIntervalMs } : {}),
  });
  return {
    ...requests,
    ...incidents,
    close: () => Promise.resolve(),
  };
}
