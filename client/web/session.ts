/**
 * The portal session: a small signed cookie (HMAC with SESSION_SECRET via @fastify/cookie),
 * httpOnly, SameSite=Lax, Secure when the portal is served over https. It holds who signed in
 * and their portal roles, never a password; it expires on its own after `ttlSeconds`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { DirectoryUser } from '../../integrations/directory/types';

/** Name of the session cookie. */
export const sessionCookieName = 'sj_session';

/** What a person may do beyond their own requests, from their directory groups. */
export const portalRoles = ['it-staff', 'approver'] as const;
export type PortalRole = (typeof portalRoles)[number];

const sessionSchema = z.object({
  accountName: z.string().min(1),
  displayName: z.string(),
  email: z.string(),
  roles: z.array(z.enum(portalRoles)),
  /** seconds since epoch */
  expiresAt: z.number().int(),
});
/** What the session cookie holds (signed, not secret: no password, no token). */
export type Session = z.infer<typeof sessionSchema>;

/** Cookie and role settings of the portal session. */
export interface SessionOptions {
  secure: boolean;
  ttlSeconds: number;
  /** Directory group whose members (nested included) use the IT console. */
  itStaffGroup: string;
  /** Directory group whose members see the approver's page. */
  approverGroup: string;
}

/** Portal roles from directory groups (nested groups are already expanded by the directory). */
export function rolesOf(
  user: DirectoryUser,
  options: Pick<SessionOptions, 'itStaffGroup' | 'approverGroup'>,
): PortalRole[] {
  const groups = new Set(user.groups.map((g) => g.toLowerCase()));
  const roles: PortalRole[] = [];
  if (groups.has(options.itStaffGroup.toLowerCase())) roles.push('it-staff');
  if (groups.has(options.approverGroup.toLowerCase())) roles.push('approver');
  return roles;
}

/** Sets the signed session cookie after a successful directory bind. */
export function startSession(reply: FastifyReply, user: DirectoryUser, options: SessionOptions): Session {
  const session: Session = {
    accountName: user.accountName,
    displayName: user.displayName,
    email: user.email,
    roles: rolesOf(user, options),
    expiresAt: Math.floor(Date.now() / 1000) + options.ttlSeconds,
  };
  reply.setCookie(sessionCookieName, Buffer.from(JSON.stringify(session)).toString('base64url'), {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure: options.secure,
    path: '/',
    maxAge: options.ttlSeconds,
  });
  return session;
}

/** Clears the session cookie (sign out). */
export function endSession(reply: FastifyReply, options: Pick<SessionOptions, 'secure'>): void {
  reply.clearCookie(sessionCookieName, { path: '/', httpOnly: true, sameSite: 'lax', secure: options.secure });
}

/** The signed-in user, or null when there is no valid, unexpired, untampered session cookie. */
export function readSession(request: FastifyRequest): Session | null {
  const cookie = request.cookies[sessionCookieName];
  if (!cookie) return null;
  const unsigned = request.unsignCookie(cookie);
  if (!unsigned.valid || unsigned.value === null) return null;
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = sessionSchema.safeParse(data);
  if (!parsed.success) return null;
  if (parsed.data.expiresAt < Date.now() / 1000) return null;
  return parsed.data;
}
