import { AppError } from '@mfa/common/errors/app-error';
import type { Decision, DomainEvent } from '@mfa/common/domain/decision';
import { enable, load, noFactorMeta, orgOf, Subject, UserMfaState } from '../../../domain/user-mfa';
import type { MagicLinkPurposeName, MagicLinkState } from './magic-link.state';

/** Links a user may have outstanding at once (one per purpose is kept; this bounds the list). */
export const MAX_MAGIC_LINKS = 2;

export interface RequestMagicLink extends Subject {
  purpose: MagicLinkPurposeName;
  email: string;
  /** SHA-256 of the token: the only form of the token that is stored. */
  tokenHash: string;
  /** The link to deliver (it carries the plaintext token; it goes only into MagicLinkRequested). */
  link: string;
  expiresAt: Date;
  /** Step-up was proven for this request (a setup link without it is cancelled once any method is enabled). */
  stepUpProven?: boolean;
}

export const invalidMagicLinkToken = (): AppError => new AppError('validation', 'INVALID_TOKEN', 'Invalid or expired token');

/**
 * Records a magic link for `purpose` (replacing any older one for the same purpose) and asks
 * for its delivery. A setup link for an enabled MAGIC_LINK is refused (409); it marks the
 * method pending and emits MfaMethodSetupStarted.
 */
export function decideRequestMagicLink(current: UserMfaState | null, command: RequestMagicLink, now: Date): Decision<UserMfaState> {
  const state = load(current, command);
  const setup = command.purpose === 'setup';
  if (setup && state.methods.MAGIC_LINK.status === 'enabled') {
    throw new AppError('conflict', 'METHOD_ALREADY_ENABLED', 'MFA method already enabled');
  }
  const kept = state.magicLinks.filter((l) => l.purpose !== command.purpose && l.expiresAt.getTime() > now.getTime());
  const issued: MagicLinkState = { tokenHash: command.tokenHash, purpose: command.purpose, email: command.email, expiresAt: command.expiresAt };
  if (setup && !command.stepUpProven) issued.startedWithoutStepUp = true;
  const magicLinks = [...kept, issued].slice(-MAX_MAGIC_LINKS);
  const events: DomainEvent[] = [];
  let methods = state.methods;
  if (setup) {
    methods = { ...state.methods, MAGIC_LINK: { status: 'pending', configuredAt: null, enabledAt: null } };
    events.push({ type: 'MfaMethodSetupStarted', data: { userId: command.userId, orgId: orgOf(state, command), method: 'MAGIC_LINK' } });
  }
  events.push({
    type: 'MagicLinkRequested',
    data: { userId: command.userId, email: command.email, purpose: command.purpose, link: command.link, expiresAt: command.expiresAt.toISOString() },
  });
  return { state: { ...state, email: setup ? command.email : state.email, methods, magicLinks }, events };
}

/**
 * Completes MAGIC_LINK setup with a setup link: the token must be outstanding, for 'setup',
 * and unexpired; it is consumed and the method enabled (primary when it is the first).
 * Anything else: 400 INVALID_TOKEN.
 */
export function decideActivateMagicLink(current: UserMfaState | null, command: Subject & { tokenHash: string }, now: Date): Decision<UserMfaState> {
  if (!current) throw invalidMagicLinkToken();
  const link = current.magicLinks.find((l) => l.tokenHash === command.tokenHash);
  if (!link || link.purpose !== 'setup' || link.expiresAt.getTime() <= now.getTime()) throw invalidMagicLinkToken();
  if (current.methods.MAGIC_LINK.status === 'enabled') throw invalidMagicLinkToken();
  const consumed: UserMfaState = {
    ...current,
    email: link.email,
    magicLinks: current.magicLinks.filter((l) => l !== link),
    factorMeta: { ...current.factorMeta, MAGIC_LINK: noFactorMeta() },
  };
  return enable(consumed, command, 'MAGIC_LINK', now, true);
}
