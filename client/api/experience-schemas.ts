/**
 * The experience report's JSON shape in zod, for the OpenAPI document of
 * `GET /api/v1/experience`. It mirrors experience/report.ts; a test parses a real
 * answer with it and compares, so the document cannot drift from what is sent.
 */
import { z } from 'zod';
import { xlaTargetSchema } from '../../experience/xla';

const distributionSchema = z
  .object({
    count: z.number(),
    min: z.number().nullable(),
    max: z.number().nullable(),
    mean: z.number().nullable().describe('Arithmetic mean, not rounded'),
    percentiles: z
      .array(z.object({ percentile: z.number().describe('1–100'), value: z.number().nullable() }))
      .describe('Nearest-rank percentiles, ascending: always 50, 90, 95 and 99, plus any a target needs'),
  })
  .meta({ id: 'ExperienceDistribution', description: 'Durations in ms, or counts' });

const npsSchema = z
  .object({
    responses: z.number(),
    promoters: z.number().describe('Scores 9–10'),
    passives: z.number().describe('Scores 7–8'),
    detractors: z.number().describe('Scores 0–6'),
    score: z
      .number()
      .nullable()
      .describe('% promoters − % detractors, rounded half away from zero; null without responses'),
  })
  .meta({ id: 'NpsSummary' });

const serviceFiguresSchema = z
  .object({
    serviceId: z.string(),
    journeys: z.object({
      count: z.number(),
      outcomes: z.record(z.string(), z.number()).describe('Journeys per outcome'),
      cameBack: z.number().describe('Journeys where the user had to come back'),
      timeToOutcomeMs: distributionSchema,
      longestSilenceMs: distributionSchema,
      userInputs: distributionSchema,
      messagesSent: distributionSchema,
      stagesMs: z.record(z.string(), distributionSchema).describe('Time per stage'),
    }),
    incidents: z.object({
      count: z.number(),
      subscribersTold: z.number(),
      affected: z.number(),
      confirmedFixed: z.number(),
      stillBroken: z.number(),
      noAnswer: z.number(),
      followedUp: z.number(),
      reopened: z.number(),
      unsettled: z.number().describe('Incidents with affected users not all settled yet'),
      timeToFirstAnnouncementMs: distributionSchema,
      settleTimeMs: distributionSchema.describe('Declared → last affected user settled'),
    }),
    nps: z.object({ overall: npsSchema, journeys: npsSchema, incidents: npsSchema }),
  })
  .meta({ id: 'ServiceExperience' });

const xlaStatusSchema = z.enum(['met', 'at-risk', 'broken', 'no-data']);

const xlaEvaluationSchema = z
  .object({
    id: z.string().describe('Stable within the service, e.g. time-to-outcome-p95'),
    target: xlaTargetSchema,
    description: z.string(),
    status: xlaStatusSchema,
    measured: z.number().nullable().describe('In `unit`; null without data'),
    threshold: z.number(),
    unit: z.enum(['ms', 'nps', 'percent']),
  })
  .meta({ id: 'XlaEvaluation' });

const worstJourneySchema = z
  .object({
    journeyId: z.string().describe('The workflow id'),
    serviceId: z.string(),
    requester: z.string(),
    outcome: z.string().nullable(),
    at: z.string().describe('ISO time it finished, or the NPS answer’s time'),
    value: z.number().describe('ms for the time and silence lists, the score for the NPS list'),
    comment: z.string().nullable(),
  })
  .meta({ id: 'WorstJourney' });

/** `GET /api/v1/experience`. */
export const experienceReportSchema = z
  .object({
    generatedAt: z.string(),
    window: z.object({ from: z.string(), to: z.string() }).describe('Half-open [from, to), ISO'),
    percentiles: z.array(z.number()),
    services: z.array(
      z.object({
        serviceId: z.string(),
        name: z.string(),
        figures: serviceFiguresSchema,
        xla: z.array(xlaEvaluationSchema),
        xlaStatus: xlaStatusSchema.nullable().describe('Worst status of its targets; null without targets'),
      }),
    ),
    daily: z.array(
      z.object({
        day: z.string().describe('YYYY-MM-DD (UTC)'),
        serviceId: z.string(),
        journeys: z.number(),
        timeToOutcomeMs: distributionSchema,
        longestSilenceMs: distributionSchema,
        nps: npsSchema,
        incidents: z.number(),
        settleTimeMs: distributionSchema,
      }),
    ),
    worst: z.object({
      longestTimeToOutcome: z.array(worstJourneySchema),
      lowestNps: z.array(worstJourneySchema),
      longestSilence: z.array(worstJourneySchema),
    }),
  })
  .meta({ id: 'ExperienceReport' });
