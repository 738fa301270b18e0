export type MagicLinkPurposeName = 'setup' | 'login';

/** An issued magic link: only the SHA-256 hash of its token is kept, never the token. */
export interface MagicLinkState {
  tokenHash: string;
  purpose: MagicLinkPurposeName;
  email: string;
  expiresAt: Date;
  /** A setup link requested without step-up: cancelled once any method becomes enabled. */
  startedWithoutStepUp?: boolean;
}

/** A setup link requested without step-up is dropped once another method is enabled. */
export const withoutUnprovenSetupLinks = (links: MagicLinkState[]): MagicLinkState[] => links.filter((l) => !(l.purpose === 'setup' && l.startedWithoutStepUp));
