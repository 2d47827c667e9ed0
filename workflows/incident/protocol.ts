/**
 * What the incident workflow and its shards say to each other, and the state each carries across
 * continue-as-new. Internal to workflows/incident/: the API and the activities use
 * definitions.ts (ids, input, queries, updates and what they answer), never these.
 */
import { defineSignal } from '@temporalio/workflow';
import type { EventOutboxState } from '../shared/events';
import type {
  AffectedCounts,
  CloseReason,
  ConfirmAnswer,
  IncidentContent,
  IncidentNote,
  IncidentScale,
  IncidentStatusName,
  IncidentTimings,
  NotificationPass,
  OutcomeCounts,
  PersonOutcome,
  PhaseRecord,
} from './definitions';

// ---------------------------------------------------------------------------------------------
// Signals (workflows cannot send each other updates)
// ---------------------------------------------------------------------------------------------

/** What the incident tells every shard, in order (`seq` makes a repeated delivery harmless). */
export type ShardCommand =
  | { seq: number; kind: 'progress'; phase: number; note: IncidentNote }
  | { seq: number; kind: 'resolved'; phase: number; note: string }
  | { seq: number; kind: 'follow-up'; phase: number }
  | { seq: number; kind: 'reopened'; phase: number; reason: string }
  | { seq: number; kind: 'close'; reason: CloseReason };

export const shardCommandSignal = defineSignal<[ShardCommand]>('shardCommand');

/** A shard's counts, sent to the incident when they changed (at most every reportIntervalSeconds). */
export interface ShardReport {
  shard: number;
  /** Increases with every report, across continue-as-new, so a late duplicate is ignored. */
  seq: number;
  /** The last command the shard has fully carried out (its messages are sent). */
  doneCommandSeq: number;
  counts: AffectedCounts;
  /** Set after the close command. */
  outcomes: OutcomeCounts | null;
}

export const shardReportSignal = defineSignal<[ShardReport]>('shardReport');

// ---------------------------------------------------------------------------------------------
// Shard input and result
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Shard input, state and result; the incident's resume state
// ---------------------------------------------------------------------------------------------

/** A person as the shard keeps them: compact, optional fields omitted. */
export interface ShardPerson {
  /** Phase in which they said it affects them. */
  p: number;
  a?: ConfirmAnswer;
  /** Phase of the answer. */
  ap?: number;
  score?: number;
  comment?: string;
  /** Phase in which they were followed up. */
  fu?: number;
  outcome?: PersonOutcome;
  /** ISO time of the NPS answer (answers from before `incidentExperiencePatch` have none). */
  st?: string;
}

export interface ShardState {
  status: IncidentStatusName;
  phase: number;
  people: Record<string, ShardPerson>;
  commands: ShardCommand[];
  lastCommandSeq: number;
  doneCommandSeq: number;
  reportSeq: number;
  closedAt: string | null;
  outcomes: OutcomeCounts | null;
  /** Comment characters kept; beyond a budget comments are dropped (scores are kept). */
  commentChars: number;
  runs: number;
  /** People whose NPS answer is not yet in the experience store (absent before `incidentExperiencePatch`). */
  npsUnrecorded?: string[];
  /**
   * Set when a run continued as new with counts the incident had not been told (a click landed
   * during its last report): the next run reports at once (`shardNpsReportBoundPatch`).
   */
  unreported?: true;
}

export interface ShardInput {
  incident: IncidentContent;
  shard: number;
  shardCount: number;
  parentWorkflowId: string;
  timings: IncidentTimings;
  scale: IncidentScale;
  retryInitialIntervalMs?: number;
  /** Set by the shard itself when it continues as new. */
  resume?: ShardState;
}

/** What a shard returns when it ends (after lingering past the close): its per-person record. */
export interface ShardResult {
  incidentId: string;
  shard: number;
  closedAt: string | null;
  counts: AffectedCounts;
  outcomes: OutcomeCounts | null;
  /** Compact per-person record keyed by accountName (bounded by scale.maxPeoplePerShard). */
  people: Record<string, ShardPerson>;
}

/** Where the incident's main loop is (see workflow.ts). */
export type IncidentStep =
  'start' | 'notify' | 'open' | 'confirming' | 'resolved' | 'following-up' | 'final-wait' | 'reopening' | 'closing';

/** A notification pass under way, with where it has got to. */
export interface RunningPass extends NotificationPass {
  cursor: string | null;
  note: string | null;
}

/** The incident's state, carried across continue-as-new (internal, but plain readable JSON). */
export interface IncidentResumeState {
  version: 1;
  /** Journey events not yet delivered (workflows/shared/events.ts); absent in runs from before them. */
  events?: EventOutboxState;
  step: IncidentStep;
  status: IncidentStatusName;
  phase: number;
  serviceName: string;
  declaredAt: string;
  notes: IncidentNote[];
  noteSeq: number;
  phases: PhaseRecord[];
  subscribers: number | null;
  notifications: NotificationPass[];
  notifying: RunningPass | null;
  shardsStarted: boolean;
  /** Latest report per shard (index = shard), null until it reported. */
  reports: (ShardReport | null)[];
  /** Shards that could not be signalled (terminated by hand): not waited for. */
  lostShards: number[];
  commandSeq: number;
  /** Commands not yet delivered to every shard, in order. */
  outbox: ShardCommand[];
  /** The command the current step waits for every shard to have carried out. */
  awaitedCommandSeq: number;
  closeReason: CloseReason | null;
  closedAt: string | null;
  /** Runs so far (1 + continue-as-new count). */
  runs: number;
  /**
   * When the first subscribers were told (the first batch of the declaration pass returned).
   * Optional: runs from before `incidentExperiencePatch` carry state without it.
   */
  firstAnnouncementAt?: string | null;
  /** Subscribers the declaration reached (not refused by the providers); set after that pass. */
  subscribersTold?: number | null;
}
