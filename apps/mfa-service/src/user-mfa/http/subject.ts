import type { Principal } from '@mfa/auth';
import type { Subject } from '../domain/user-mfa';
import { SECOND_FACTOR_AMR } from '../domain/step-up';

/** When the token proves a second factor: its issue time, if its `amr` names one. */
function tokenMfaAt(principal: Principal): Date | null {
  if (principal.issuedAt === null || !principal.amr.some((m) => SECOND_FACTOR_AMR.includes(m))) return null;
  return new Date(principal.issuedAt * 1000);
}

/** The caller as the subject of their own MFA commands. */
export const subjectOf = (principal: Principal): Subject => ({
  userId: principal.userId,
  orgId: principal.orgId,
  tokenMfaAt: tokenMfaAt(principal),
});
