import type { Principal } from '@mfa/auth';
import { isEmail } from 'class-validator';
import type { Subject } from '../domain/user-mfa';
import { SECOND_FACTOR_AMR } from '../domain/step-up';

/** When the token proves a second factor: its `auth_time`, if present and its `amr` names one (never `iat`). */
function tokenMfaAt(principal: Principal): Date | null {
  if (principal.authTime === null || !principal.amr.some((m) => SECOND_FACTOR_AMR.includes(m))) return null;
  return new Date(principal.authTime * 1000);
}

/** The caller as the subject of their own MFA commands. */
export const subjectOf = (principal: Principal): Subject => ({
  userId: principal.userId,
  orgId: principal.orgId,
  tokenMfaAt: tokenMfaAt(principal),
  sessionId: principal.sessionId,
});

/** The token's `email` claim when it is a usable address (where magic links may go), else null. */
export const tokenEmailOf = (principal: Principal): string | null =>
  principal.email && principal.email.length <= 254 && isEmail(principal.email) ? principal.email : null;
