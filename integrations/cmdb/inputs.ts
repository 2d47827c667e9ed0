/**
 * Checks of what callers hand a CMDB, and the subscriber cursor, shared by every adapter so
 * they all refuse the same inputs with the same errors.
 */
import { z } from 'zod';
import { IntegrationError } from '../errors';
import { maskPhone } from '../../config/mask';

/** The largest subscriber page any adapter returns; bigger requests are cut down to it. */
export const maxSubscriberPageSize = 1000;

const e164 = /^\+[1-9]\d{6,14}$/;

/** A phone number as E.164, or a permanent `InvalidRequest` (the number is masked in the message). */
export function requireE164(phone: string): string {
  if (typeof phone !== 'string' || !e164.test(phone)) {
    throw new IntegrationError(
      'cmdb',
      'InvalidRequest',
      `not an E.164 phone number: ${maskPhone(String(phone))}`,
      false,
    );
  }
  return phone;
}

/** A non-empty identifier (account name, service id) without control characters. */
export function requireId(what: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '' || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new IntegrationError(
      'cmdb',
      'InvalidRequest',
      `${what} must be a non-empty name without control characters`,
      false,
    );
  }
  return value.trim();
}

/** Page size between 1 and {@link maxSubscriberPageSize}: larger asks are cut down, not refused. */
export function pageSize(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new IntegrationError(
      'cmdb',
      'InvalidRequest',
      `page size must be a whole number of at least 1 (got ${String(limit)})`,
      false,
    );
  }
  return Math.min(limit, maxSubscriberPageSize);
}

const cursorShape = z.object({ v: z.literal(1), s: z.string(), o: z.number().int().min(0) });

/**
 * The opaque cursor: the offset of the next page, bound to its service so that a cursor of one
 * service cannot be replayed against another.
 */
export function encodeCursor(serviceId: string, offset: number): string {
  return Buffer.from(JSON.stringify({ v: 1, s: serviceId, o: offset }), 'utf8').toString('base64url');
}

/** The offset a cursor stands for (0 for none); a foreign or damaged cursor is a permanent `InvalidRequest`. */
export function decodeCursor(serviceId: string, cursor: string | null): number {
  if (cursor === null) return 0;
  let parsed: z.infer<typeof cursorShape> | undefined;
  try {
    const result = cursorShape.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (result.success) parsed = result.data;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined)
    throw new IntegrationError('cmdb', 'InvalidRequest', 'the subscriber cursor is not one this CMDB issued', false);
  if (parsed.s !== serviceId) {
    throw new IntegrationError(
      'cmdb',
      'InvalidRequest',
      `the subscriber cursor belongs to service "${parsed.s}", not "${serviceId}"`,
      false,
    );
  }
  return parsed.o;
}
