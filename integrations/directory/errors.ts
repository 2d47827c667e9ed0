/**
 * The directory's failures a caller may want to tell apart. All are {@link IntegrationError}s
 * (system `directory`), so activities classify them like any other integration failure by
 * `code` and `retryable`; the classes only add what a caller needs to say what went wrong.
 */
import { IntegrationError } from '../errors';

/** The person or the group named in a membership change is not in the directory (or not under its base). */
export class DirectoryNotFoundError extends IntegrationError {
  constructor(
    /** Which of the two names was not found. */
    readonly entry: 'person' | 'group',
    /** The name as the caller gave it. */
    readonly entryName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('directory', 'NotFound', message, false, options);
  }
}

/**
 * The server refused the service account the right to do this (LDAP insufficientAccessRights).
 * Needs an operator: retrying changes nothing.
 */
export class DirectoryPermissionDeniedError extends IntegrationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('directory', 'NotAuthorized', message, false, options);
  }
}

/** The directory cannot be reached, timed out or said it is busy: try again later. */
export class DirectoryUnavailableError extends IntegrationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('directory', 'Unavailable', message, true, options);
  }
}

/** A caller's name for a message: quoted, control characters visible, at most 100 characters. */
export function quoted(name: unknown): string {
  const text = String(name);
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}
