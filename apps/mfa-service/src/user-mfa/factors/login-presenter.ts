import type { LoginFactor } from '../domain/login-verification';
import type { UserPolicy } from '../domain/user-policy';

/** What verify-login was given, for a factor to turn into the LoginFactor its check takes. */
export interface PresentedLogin {
  userId: string;
  /** The login's organization (the bearer token's). */
  orgId: string | null;
  code: string;
  token: string | undefined;
  credential: Record<string, unknown> | undefined;
  /** Every active membership's policies for TRUSTED_DEVICE (and rememberDevice, or no token org); otherwise the token organization's. */
  policy: UserPolicy;
  now: Date;
}

/**
 * A factor's login part outside the domain: reads what the request presented and does what needs
 * secrets or async crypto, so the decision can then check it on the state it commits on.
 */
export interface LoginPresenter<F extends LoginFactor> {
  present(presented: PresentedLogin): Promise<F>;
}

/** Every factor's presenter, by method (infra/factor-providers.ts builds them): one line per factor. */
export type LoginPresenters = { [M in LoginFactor['method']]: LoginPresenter<Extract<LoginFactor, { method: M }>> };
