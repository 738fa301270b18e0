import type { DomainEvent } from '@mfa/common/domain/decision';
import type { MfaMethod } from '../../user-mfa/domain/mfa-method';
import { activeExemption, OrgPolicyState } from './org-policy';

/**
 * What happens to an org's members after enforcement is turned on (pure rules; the jobs that
 * stream members through them live in ../enforcement).
 *
 * - `setup-required`: every member without an allowed method and not exempt is told once
 *   (`UserMfaSetupRequired`) for each enforcement deadline.
 * - `deadline-passed`: once the deadline has passed, every member still in that situation is
 *   told once (`UserMfaEnforcementDeadlinePassed`) for that deadline.
 *
 * Both are decided per member at processing time (methods, exemptions and their expiry as they
 * are then), never from a snapshot taken at enforcement time.
 */
export type NoticeKind = 'setup-required' | 'deadline-passed';

/** One job per (kind, org, enforcement revision): a newer enforcement change supersedes it. */
export const enforcementJobId = (kind: NoticeKind, orgId: string, revision: number): string => `${kind}:${orgId}:${revision}`;

/**
 * The marker a member's document keeps once told. Keyed by deadline, not revision: changing only
 * the allowed methods keeps the deadline, so members already told are not told again while members
 * the change newly affects are; a new deadline (other grace period, re-enforcement) tells everyone again.
 */
export function noticeKey(kind: NoticeKind, orgId: string, deadline: Date | null): string {
  return `${kind}:${orgId}:${deadline ? deadline.toISOString() : 'none'}`;
}

/** Markers kept per member (most recent last): enough for any realistic number of live enforcements. */
export const MAX_NOTICE_MARKERS = 16;

/** The jobs an org's current policy calls for at `now`; the deadline job waits for the fan-out to finish (per-user order). */
export function dueNotices(policy: Pick<OrgPolicyState, 'enforced' | 'enforcementDeadline'>, now: Date): NoticeKind[] {
  if (!policy.enforced) return [];
  const deadlinePassed = policy.enforcementDeadline !== null && policy.enforcementDeadline.getTime() <= now.getTime();
  return deadlinePassed ? ['setup-required', 'deadline-passed'] : ['setup-required'];
}

/** A job stops (without error) once the org lifted or changed enforcement after it started. */
export function isSuperseded(policy: Pick<OrgPolicyState, 'enforced' | 'enforcementRevision'> | null, revision: number): boolean {
  return !policy || !policy.enforced || policy.enforcementRevision !== revision;
}

/** What a member's MFA document tells the rules. */
export interface MemberMfa {
  userId: string;
  enabledMethods: MfaMethod[];
  notices: string[];
  /** The member's exemption in this org, if any (read per member, not from the policy document). */
  exemption: { expiresAt: Date | null } | null;
}

export interface NoticeDecision {
  event: DomainEvent;
  /** The member's markers after this notice (bounded). */
  notices: string[];
}

/** Whether this member must be told now, and what; null when compliant, exempt, already told or not (yet) due. */
export function decideNotice(kind: NoticeKind, policy: OrgPolicyState, member: MemberMfa, now: Date): NoticeDecision | null {
  if (!policy.enforced) return null;
  const deadline = policy.enforcementDeadline;
  if (kind === 'deadline-passed' && (deadline === null || deadline.getTime() > now.getTime())) return null;
  if (activeExemption(member.exemption, now)) return null;
  if (member.enabledMethods.some((m) => policy.allowedMethods.includes(m))) return null;
  const key = noticeKey(kind, policy.orgId, deadline);
  if (member.notices.includes(key)) return null;
  const event: DomainEvent =
    kind === 'setup-required'
      ? { type: 'UserMfaSetupRequired', data: { userId: member.userId, orgId: policy.orgId, deadline: deadline ? deadline.toISOString() : null } }
      : { type: 'UserMfaEnforcementDeadlinePassed', data: { userId: member.userId, orgId: policy.orgId } };
  return { event, notices: [...member.notices, key].slice(-MAX_NOTICE_MARKERS) };
}
