/** A registered WebAuthn credential (public key material only; it never appears in an event). */
export interface PasskeyState {
  /** The authenticator's public id (`pk-` + a hash of the credential id): stable, and never the credential id itself. */
  id: string;
  /** base64url */
  credentialId: string;
  /** COSE public key, base64url. */
  publicKey: string;
  counter: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  aaguid: string;
  name: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type PasskeyCeremony = 'registration' | 'authentication';

/** An outstanding WebAuthn challenge (at most one per ceremony). */
export interface PasskeyChallengeState {
  challenge: string;
  ceremony: PasskeyCeremony;
  expiresAt: Date;
  /** Registration: the device name given at setup, for the passkey it creates. */
  name?: string | null;
  /** Registration started without step-up: cancelled once any method becomes enabled. */
  startedWithoutStepUp?: boolean;
}

/** A registration started without step-up is dropped once another method is enabled. */
export const withoutUnprovenRegistrations = (challenges: PasskeyChallengeState[]): PasskeyChallengeState[] =>
  challenges.filter((c) => !(c.ceremony === 'registration' && c.startedWithoutStepUp));

/** Authenticators that keep a signature counter must increase it (a clone shows as a repeat); 0 → 0 means "no counter". */
export function counterAdvanced(stored: number, received: number): boolean {
  return (stored === 0 && received === 0) || received > stored;
}
