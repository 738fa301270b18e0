import { EventEnvelope, isEvent, MfaEvent } from '@mfa/contracts';
import type { Collection } from 'mongodb';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What the session service would act on: the user must log in again. */
export interface ForcedRelogin {
  _id: string; // the event id, so a retried handler cannot record it twice
  userId: string;
  reason: 'mfa_enforcement_deadline_passed' | 'mfa_reset';
  eventId: string;
  at: Date;
  recordedAt: Date;
}

export interface ReactionDeps {
  forcedRelogins: Collection<ForcedRelogin>;
  outboxDir: string;
  log: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
}

export type Reaction = 'forced_relogin' | 'email_written' | 'security_notice_written' | 'ignored' | 'invalid';

function isAlreadyDone(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 11000 || code === 'EEXIST';
}

async function forceRelogin(deps: ReactionDeps, event: MfaEvent<'UserMfaEnforcementDeadlinePassed' | 'MfaReset'>): Promise<void> {
  const reason = event.type === 'MfaReset' ? 'mfa_reset' : 'mfa_enforcement_deadline_passed';
  const doc: ForcedRelogin = { _id: event.id, userId: event.data.userId, reason, eventId: event.id, at: new Date(event.time), recordedAt: new Date() };
  await deps.forcedRelogins.insertOne(doc).catch((error: unknown) => {
    if (!isAlreadyDone(error)) throw error;
  });
  deps.log('info', 'forced re-login recorded', { userId: doc.userId, reason, eventId: event.id });
}

/** The notification service would send this email; we write it to a file named after the event. */
async function writeEmail(deps: ReactionDeps, event: MfaEvent<'MagicLinkRequested'>): Promise<void> {
  const { email, link, purpose, expiresAt, userId } = event.data;
  const subject = purpose === 'setup' ? 'Confirm your email for sign-in links' : 'Your sign-in link';
  const body = `Hello,\n\nUse this link to ${purpose === 'setup' ? 'finish setting up' : 'sign in with'} email verification:\n${link}\n\nIt expires at ${expiresAt}. If you did not ask for it, ignore this email.\n`;
  const file = join(deps.outboxDir, `${event.id}.json`);
  await writeFile(file, JSON.stringify({ to: email, subject, body, eventId: event.id }, null, 2), { flag: 'wx', mode: 0o600 }).catch((error: unknown) => {
    if (!isAlreadyDone(error)) throw error;
  });
  // Never the link or the address: both are sensitive.
  deps.log('info', 'magic-link email written', { userId, eventId: event.id, purpose });
}

const AUTHENTICATOR_NAMES: Record<string, string> = {
  PASSKEY: 'a passkey',
  GOOGLE_AUTH: 'your authenticator app',
  MAGIC_LINK: 'your sign-in email address',
  BACKUP_CODES: 'your backup codes',
};

/**
 * Tells the user about a security-relevant change they may not have made: an authenticator removed
 * (by them or an admin) or a device remembered. The events carry no address (they are not delivery
 * events): the notification service resolves `toUserId`; we write the mail it would send.
 */
async function writeSecurityNotice(deps: ReactionDeps, event: MfaEvent<'MfaAuthenticatorRemoved' | 'TrustedDeviceRegistered'>): Promise<void> {
  const when = event.time;
  let subject: string;
  let body: string;
  if (event.type === 'MfaAuthenticatorRemoved') {
    const { type, removedBy, userId } = event.data;
    const by = removedBy === userId ? 'from your account' : 'from your account by an administrator of your organization';
    subject = 'A sign-in method was removed from your account';
    body = `Hello,

${AUTHENTICATOR_NAMES[type] ?? 'A sign-in method'} was removed ${by} at ${when}.
If this was not you, contact your administrator and reset your MFA at once.
`;
  } else {
    subject = 'A device was remembered for sign-in';
    body = `Hello,

A device will skip the second sign-in step until ${event.data.expiresAt} (remembered at ${when}).
If this was not you, revoke it under trusted devices and change your password.
`;
  }
  const file = join(deps.outboxDir, `${event.id}.json`);
  await writeFile(file, JSON.stringify({ toUserId: event.data.userId, subject, body, eventId: event.id }, null, 2), { flag: 'wx', mode: 0o600 }).catch(
    (error: unknown) => {
      if (!isAlreadyDone(error)) throw error;
    },
  );
  deps.log('info', 'security notice written', { userId: event.data.userId, eventId: event.id, type: event.type });
}

/** Reacts to one decoded event. Idempotent by event id, so a retry after a crash is safe. */
export async function react(deps: ReactionDeps, envelope: EventEnvelope): Promise<Reaction> {
  if (envelope.type === 'UserMfaEnforcementDeadlinePassed' || envelope.type === 'MfaReset') {
    if (!isEvent(envelope, 'UserMfaEnforcementDeadlinePassed') && !isEvent(envelope, 'MfaReset')) return 'invalid';
    await forceRelogin(deps, envelope);
    return 'forced_relogin';
  }
  if (envelope.type === 'MagicLinkRequested') {
    if (!isEvent(envelope, 'MagicLinkRequested')) return 'invalid';
    await writeEmail(deps, envelope);
    return 'email_written';
  }
  if (envelope.type === 'MfaAuthenticatorRemoved' || envelope.type === 'TrustedDeviceRegistered') {
    if (!isEvent(envelope, 'MfaAuthenticatorRemoved') && !isEvent(envelope, 'TrustedDeviceRegistered')) return 'invalid';
    await writeSecurityNotice(deps, envelope);
    return 'security_notice_written';
  }
  return 'ignored';
}
