import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes every journey sets, so ops can filter in the Temporal UI, e.g.
 * `ServiceId = "expensatron" AND Stage = "device-check"`.
 *
 * These are registered by the embedded dev server on start and, for a production cluster, by
 * `npm run ops:register-search-attributes` (see README, "Operations").
 */
export const JourneyKind = defineSearchAttributeKey('JourneyKind', SearchAttributeType.KEYWORD);
export const ServiceId = defineSearchAttributeKey('ServiceId', SearchAttributeType.KEYWORD);
export const Requester = defineSearchAttributeKey('Requester', SearchAttributeType.KEYWORD);
export const IncidentId = defineSearchAttributeKey('IncidentId', SearchAttributeType.KEYWORD);
export const Stage = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);
export const Outcome = defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD);

/** Access grants (workflows/access): the role granted and when it ends ("My access", "ending soon"). */
export const AccessRole = defineSearchAttributeKey('AccessRole', SearchAttributeType.KEYWORD);
export const AccessEndsAt = defineSearchAttributeKey('AccessEndsAt', SearchAttributeType.DATETIME);

export const allSearchAttributes = [
  JourneyKind,
  ServiceId,
  Requester,
  IncidentId,
  Stage,
  Outcome,
  AccessRole,
  AccessEndsAt,
];
