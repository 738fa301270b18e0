import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { validationFailed } from '@mfa/common/errors/app-error';
import { Counter } from 'prom-client';
import {
  decideVerifyLogin,
  LoginDecision,
  LoginFactor,
  PasskeyAssertionResult,
  RememberDevice,
  verificationFailed,
} from '../../domain/login-verification';
import { authenticatorName } from '../../domain/authenticators';
import { TotpState, UserMfaState } from '../../domain/user-mfa';
import { findPasskeyChallenge } from '../../factors/passkey/domain/passkey.setup';
import {
  assertCredentialShape,
  BackupCodes,
  clientDataChallenge,
  hashMagicLinkToken,
  hashTrustedDeviceToken,
  issueTrustedDeviceToken,
  PasskeyStrategy,
  SecretBox,
  totpSecretAad,
  verifyTotp,
} from '../../factors';
import { allowedAtLogin, methodNotAllowed, UserPolicy } from '../../domain/user-policy';
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
    // Checked before anything is read or written: a bad name changes nothing.
    const deviceName = command.remember.deviceName === undefined ? null : authenticatorName(command.remember.deviceName, 'deviceName');
    const { policy } = await this.policies.forUser(command.subject, now);
    // A method the login's organization excludes is refused before anything is counted; a remembered
    // device is judged by the factor that created it, inside the decision.
    if (command.mfaType !== 'TRUSTED_DEVICE' && !allowedAtLogin(policy, orgId, command.mfaType)) throw methodNotAllowed();
    const factor = await this.factorOf(command, policy, now);
    // Only when the policy of every organization of the user allows it (else 200 without a deviceToken).
    const device = command.remember.rememberDevice && command.mfaType !== 'TRUSTED_DEVICE' && policy.rememberDeviceDays > 0 ? issueTrustedDeviceToken() : null;
    const rememberDevice: RememberDevice | null = device ? { id: device.id, tokenHash: device.tokenHash, name: deviceName, days: policy.rememberDeviceDays } : null;
    // The factor is checked inside the decision, on the state it commits on: a concurrent
    // request that commits first makes this one re-decide (replayed code, counted failure).
    let decision: LoginDecision | undefined;
    await this.users.execute(
      userId,
      (current) => (decision = decideVerifyLogin(current, { ...command.subject, factor, rememberDevice }, now)),
      command.meta,
      now,
    );
    const outcome = decision!.outcome;
    this.outcomes.inc({ method: command.mfaType, outcome: outcome.verified ? 'success' : outcome.reason });
    if (!outcome.verified) throw verificationFailed();
    // The login's context is its token's organization only: no other org is vouched for by this login.
    const issued = await this.tokens.issue({ userId, orgId, assurance: outcome.assurance, now, sessionId: command.subject.sessionId });
    const result: VerifyLoginResult = { verified: true, method: outcome.method, mfaToken: issued.mfaToken, expiresAt: issued.expiresAt.toISOString() };
    if (device && outcome.trustedDevice) {
      Object.assign(result, { deviceToken: device.token, deviceId: outcome.trustedDevice.id, deviceExpiresAt: outcome.trustedDevice.expiresAt.toISOString() });
    }
    return result;
  }

  /** The presented factor, with the checks that need secrets or async crypto done outside the domain. */
  private async factorOf(command: VerifyLoginCommand, policy: UserPolicy, now: Date): Promise<LoginFactor> {
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
      case 'TRUSTED_DEVICE': {
        // Not shaped like a token we issue: 400 before anything is read (not a counted failure).
        const tokenHash = hashTrustedDeviceToken(token);
        if (tokenHash === null) throw validationFailed([{ field: 'token', message: 'token must be a device token (43 base64url characters)' }]);
        const orgId = command.subject.orgId;
        return { method: 'TRUSTED_DEVICE', tokenHash, rememberDeviceDays: policy.rememberDeviceDays, allowed: (m) => allowedAtLogin(policy, orgId, m) };
      }
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
