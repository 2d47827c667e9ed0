/**
 * One classification for every failure an outside system can produce.
 *
 * Adapters throw {@link IntegrationError}; activities turn `retryable: false` into a
 * non-retryable `ApplicationFailure` whose `type` is the `code` below, and let everything
 * else be retried by Temporal with the activity's retry policy.
 */
export const integrationErrorCodes = [
  /** The system is unreachable, timed out, answered 5xx or 429: try again later. */
  'Unavailable',
  /** The request itself is wrong and will stay wrong (400, invalid number, bad filter). */
  'InvalidRequest',
  /** Credentials of the integration account were refused (401/403): needs an operator. */
  'NotAuthorized',
  /** The thing asked for does not exist. */
  'NotFound',
  /** The recipient refuses messages (SMS STOP / unsubscribed). */
  'RecipientOptedOut',
  /** The answer did not have the shape the adapter expects. */
  'UnexpectedResponse',
  /** A uniqueness or state conflict the adapter could not resolve itself. */
  'Conflict',
] as const;
export type IntegrationErrorCode = (typeof integrationErrorCodes)[number];

export class IntegrationError extends Error {
  override readonly name = 'IntegrationError';
  constructor(
    readonly system: 'directory' | 'cmdb' | 'email' | 'sms' | 'provisioning' | 'metrics' | 'webhooks',
    readonly code: IntegrationErrorCode,
    message: string,
    readonly retryable: boolean = code === 'Unavailable',
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options?.retryAfterMs;
  }
  readonly retryAfterMs: number | undefined;
}

export function isIntegrationError(err: unknown): err is IntegrationError {
  return err instanceof IntegrationError;
}

/**
 * An HTTP Retry-After header (seconds or an HTTP date) in milliseconds from now; undefined when
 * absent or unreadable, so each adapter picks its own default.
 */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
