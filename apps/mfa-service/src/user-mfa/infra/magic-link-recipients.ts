import { createHash } from 'node:crypto';
import { AppError } from '@mfa/common';

/** Rate-limit bucket of magic links per recipient address, whoever asks for them. */
export const MAGIC_LINK_RECIPIENT_BUCKET = 'magic-link-recipient';

/** The counter key for an address: a hash, so rate_limits never stores an address. */
export const recipientKey = (email: string): string => createHash('sha256').update(email.trim().toLowerCase(), 'utf8').digest('base64url');

/** Addresses compare case-insensitively (as the identity service's vouched `email` claim). */
export const sameAddress = (email: string, vouched: string | null): boolean => vouched !== null && email.trim().toLowerCase() === vouched.trim().toLowerCase();

export const emailNotVerified = (): AppError =>
  new AppError('forbidden', 'EMAIL_NOT_VERIFIED', 'Magic links can only be sent to the email address of your account');
