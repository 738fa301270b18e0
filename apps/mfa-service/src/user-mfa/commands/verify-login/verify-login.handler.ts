import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { Counter } from 'prom-client';
import {
  decideVerifyLogin,
  LoginDecision,
  LoginFactor,
  PasskeyAssertionResult,
  verificationFailed,
} from '../../domain/login-verification';
import { findPasskeyChallenge, TotpState, UserMfaState } from '../../domain/user-mfa';
import { assertCredentialShape, BackupCodes, clientDataChallenge, hashMagicLinkToken, PasskeyStrategy, SecretBox, totpSecretAad, verifyTotp } from '../../factors';
import { allowedAtLogin, methodNotAllowed } from '../../domain/user-policy';
import { MfaTokenIssuer } from '../../infra/mfa-token.issuer';
import { OrgPolicyReader } from '../../infra/org-policy.reader';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { MetricsService } from '../../../metrics/metrics.service';
import { VerifyLoginCommand, VerifyLoginResult } from './verify-login.command';

@CommandHandler(VerifyLoginCommand)
export class VerifyLoginHandler implements ICommandHandler<VerifyLoginCommand, VerifyLoginResult> {
  private readonly outcomes: Counter<'method' | 'outcome'>;

  constructor(
    private readonly users: UserMfaRepository,
    private readonly secrets: SecretBox,
    private readonly backupCodes: BackupCodes,
    private readonly passkeys: PasskeyStrategy,
    private readonly tokens: MfaTokenIssuer,
    private readonly policies: OrgPolicyReader,
    metrics: MetricsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.outcomes = metrics.counter('mfa_verifications_total', 'Login-time MFA verifications by method and outcome', ['method', 'outcome']);
  }

  async execute(command: VerifyLoginCommand): Promise<VerifyLoginResult> {
    const { userId, orgId } = command.subject;
    const now = this.clock.now();
    // A method the login's organization excludes is refused before anything is read or counted.
    const { policy } = await this.policies.forUser(command.subject, now);
    if (!allowedAtLogin(policy, orgId, command.mfaType)) throw methodNotAllowed();
    const factor = await this.factorOf(command, now);
    // The factor is checked inside the decision, on the state it commits on: a concurrent
    // request that commits first makes this one re-decide (replayed code, counted failure).
    let decision: LoginDecision | undefined;
    await this.users.execute(
      userId,
      (current) => (decision = decideVerifyLogin(current, { ...command.subject, factor }, now)),
      command.meta,
      () => now,
    );
    const outcome = decision!.outcome;
    this.outcomes.inc({ method: command.mfaType, outcome: outcome.verified ? 'success' : outcome.reason });
    if (!outcome.verified) throw verificationFailed();
    // The login's context is its token's organization only: no other org is vouched for by this login.
    const issued = await this.tokens.issue({ userId, orgId, assurance: outcome.assurance, now, sessionId: command.subject.sessionId });
    return { verified: true, method: outcome.method, mfaToken: issued.mfaToken, expiresAt: issued.expiresAt.toISOString() };
  }

  /** The presented factor, with the checks that need secrets or async crypto done outside the domain. */
  private async factorOf(command: VerifyLoginCommand, now: Date): Promise<LoginFactor> {
    const { userId } = command.subject;
    const { code = '', token, credential } = command.presented;
    switch (command.mfaType) {
      case 'GOOGLE_AUTH':
        return {
          method: 'GOOGLE_AUTH',
          check: (totp: TotpState) =>
            verifyTotp({ secret: this.secrets.open(totp.secret, totpSecretAad(userId)), code, now, lastUsedStep: totp.lastUsedStep }),
        };
      case 'BACKUP_CODE':
        return { method: 'BACKUP_CODE', findUnused: (codes) => this.backupCodes.findMatch(code, codes) };
      case 'MAGIC_LINK':
        // Not shaped like a token we issue: cannot match any stored hash (still a counted failure).
        return { method: 'MAGIC_LINK', tokenHash: hashMagicLinkToken(token) ?? 'malformed' };
      case 'PASSKEY':
        assertCredentialShape(credential);
        return this.passkeyFactor(userId, credential, now);
    }
  }

  /**
   * Verifies the assertion against this user's outstanding authentication challenge and this
   * user's credential (async crypto); the decision then consumes the challenge and re-checks
   * the counter on the state it commits.
   */
  private async passkeyFactor(userId: string, credential: Parameters<typeof clientDataChallenge>[0], now: Date): Promise<LoginFactor> {
    const challenge = clientDataChallenge(credential);
    const { state } = await this.users.load(userId);
    const assertion = await this.verifyAssertion(state, credential, challenge, now);
    return { method: 'PASSKEY', challenge, assertion };
  }

  private async verifyAssertion(
    state: UserMfaState | null,
    credential: Parameters<typeof clientDataChallenge>[0],
    challenge: string | null,
    now: Date,
  ): Promise<PasskeyAssertionResult> {
    const stored = state?.passkeys.find((p) => p.credentialId === credential.id);
    // Another user's credential, or one never registered: the assertion is not this user's.
    if (!stored || challenge === null || !findPasskeyChallenge(state, challenge, 'authentication', now)) return { ok: false, reason: 'invalid_assertion' };
    try {
      const verified = await this.passkeys.verifyAuthentication({ response: credential, expectedChallenge: challenge, credential: stored });
      return {
        ok: true,
        credentialId: verified.credentialId,
        newCounter: verified.newCounter,
        backedUp: verified.backedUp,
        userVerified: verified.userVerified,
      };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { ok: false, reason: code === 'PASSKEY_COUNTER_REGRESSION' ? 'counter_regression' : 'invalid_assertion' };
    }
  }
}
