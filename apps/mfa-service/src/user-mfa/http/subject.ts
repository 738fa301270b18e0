import type { Principal } from '@mfa/auth';
import type { Subject } from '../domain/user-mfa';

/** The caller as the subject of their own MFA commands. */
export const subjectOf = (principal: Principal): Subject => ({ userId: principal.userId, orgId: principal.orgId });
