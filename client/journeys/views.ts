/**
 * What the portal and the API show about journeys, independent of how the workflows word their
 * query results. client/journeys/ (requests.ts, incidents.ts) maps the workflows' own answers into these shapes.
 */
import type { z } from 'zod';
import type { XlaTarget } from '../../experience/types';
import type { AccessGrantStatus } from '../../workflows/access/definitions';

/** A catalog entry as the portal presents it. */
export interface ServiceView {
  id: string;
  title: string;
  /** One plain sentence for the search results. */
  summary: string;
  /** What it is, in plain words (paragraphs). */
  description: string[];
  /** What will happen after you ask for it, step by step. */
  whatHappensNext: string[];
  /** Other words people search with. */
  keywords: string[];
  /** The plan's stages in order (the `Stage` of its journeys), ending with `completed`. */
  stages: { stage: string; label: string }[];
  /** The experience level agreement targets of the service. */
  xla: XlaTarget[];
  /** Needs a manager's approval before anything happens. */
  needsApproval: boolean;
  /** The request form: what the user types (identity comes from the sign-in). */
  form: z.ZodType;
  /** Quick-start guide shown after the request is recorded. */
  guide: { title: string; sections: { heading: string; text: string }[] };
}

/** One stage of a request, with its times. */
export interface StageView {
  stage: string;
  label: string;
  startedAt: string | null;
  endedAt: string | null;
  state: 'pending' | 'current' | 'done' | 'failed' | 'skipped';
}

/** One thing the requester was told. */
export interface ToldView {
  at: string;
  channel: string;
  summary: string;
}

/** A person the journey is waiting for. */
export type WaitingFor =
  /** `anyMemberOf`: no one person (access without a manager): any member of that group decides. */
  | { kind: 'approval'; approver: string; until: string; anyMemberOf?: string }
  /** `phone` is masked; `reason` says what is wrong with the number. */
  | { kind: 'device-correction'; phone: string; reason: string; until: string; attempt: number }
  | { kind: 'manual-task'; task: string; since: string }
  | null;

/** One request (one fulfilment journey). */
export interface RequestView {
  /** The public id: the journey's workflow id, e.g. `fulfil-expensatron-r7c1…`. */
  id: string;
  serviceId: string;
  serviceTitle: string;
  requester: string;
  startedAt: string;
  running: boolean;
  stage: string;
  stageLabel: string;
  /** completed | not-eligible | rejected | device-not-registered | failed | cancelled once finished, else null. */
  outcome: string | null;
  /** Why it ended that way, in plain words (null when completed or running). */
  reason: string | null;
  /** The requester was told it is taking longer than usual. */
  delayed: boolean;
  timeline: StageView[];
  told: ToldView[];
  /** The form as submitted, phone numbers masked (for the approver and the service desk). */
  summary: string | null;
  waitingFor: WaitingFor;
  /** false when the journey did not answer in time and this view is from search attributes only. */
  complete: boolean;
}

/**
 * A list of requests. `complete: false` when the list may be missing some: Temporal's visibility
 * did not answer in time, or a listed journey could not say who it waits for.
 */
export interface RequestList {
  requests: RequestView[];
  complete: boolean;
}

/** A progress note of an incident. */
export interface IncidentUpdateView {
  at: string;
  text: string;
}

/** One incident: what the banner, the confirmation pages and the IT console show. */
export interface IncidentView {
  id: string;
  workflowId: string;
  serviceId: string;
  serviceName: string;
  title: string;
  message: string;
  workaround: string | null;
  /** The workaround has a download link people can get by SMS. */
  workaroundHasLinks: boolean;
  /** open | resolved | following-up | closed (a re-opened incident is open again, next phase). */
  status: string;
  phase: number;
  declaredAt: string | null;
  declaredBy: string | null;
  updates: IncidentUpdateView[];
  resolvedAt: string | null;
  resolutionNote: string | null;
  counts: {
    subscribers: number | null;
    /** Subscribers the declaration's notification pass has reached so far. */
    notified: number | null;
    affected: number;
    fixed: number;
    stillBroken: number;
    noAnswer: number | null;
    followedUp: number;
  };
  nps: { responses: number; average: number | null; score: number | null };
  /** Affected users the service desk follows up (still broken or no answer), current phase. */
  followUp: { accountName: string; reason: string }[];
  closeReason: string | null;
  running: boolean;
}

/** One access grant (one `accessGrantWorkflow`): what "My access" and the IT console list. */
export interface AccessGrantView extends AccessGrantStatus {
  /**
   * false when the grant did not answer in time (its worker down or slow) and this view is from
   * its search attributes: role, service, person, since, until and state are known; a pending
   * extension, the reminder and the removal's failures are not (null, false, 0).
   */
  complete: boolean;
}
