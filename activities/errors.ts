import { ApplicationFailure } from '@temporalio/common';
import { isIntegrationError } from '../integrations/errors';

/**
 * The failure types a workflow can see from an activity. Permanent failures are non-retryable
 * `ApplicationFailure`s with one of these `type`s; everything else is retried by Temporal.
 */
export const failureTypes = {
  /** An integration refused the request and will keep refusing (IntegrationError code). */
  InvalidRequest: 'InvalidRequest',
  NotAuthorized: 'NotAuthorized',
  NotFound: 'NotFound',
  RecipientOptedOut: 'RecipientOptedOut',
  UnexpectedResponse: 'UnexpectedResponse',
  Conflict: 'Conflict',
  /** The activity's own input was invalid (a bug in the caller). */
  InvalidInput: 'InvalidInput',
} as const;
export type FailureType = (typeof failureTypes)[keyof typeof failureTypes];

/**
 * Runs an integration call and turns its permanent failures into non-retryable
 * `ApplicationFailure`s; transient ones are rethrown unchanged so Temporal retries them.
 */
export async function classifyFailures<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isIntegrationError(err) && !err.retryable) {
      throw ApplicationFailure.create({
        type: err.code,
        message: `${err.system}: ${err.message}`,
        nonRetryable: true,
        details: [{ system: err.system, code: err.code }],
      });
    }
    if (isIntegrationError(err) && err.retryAfterMs !== undefined) {
      // Let the server wait at least as long as the provider asked before the next attempt.
      throw ApplicationFailure.create({
        type: err.code,
        message: `${err.system}: ${err.message}`,
        nonRetryable: false,
        nextRetryDelay: err.retryAfterMs,
      });
    }
    throw err;
  }
}
