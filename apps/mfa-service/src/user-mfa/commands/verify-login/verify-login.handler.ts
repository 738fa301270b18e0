import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { Counter } from 'prom-client';
import { decideVerifyLogin, LoginDecision, LoginFactor, RememberDevice, verificationFailed } from '../../domain/login-verification';
import { authenticatorName } from '../../domain/authenticators';
import { issueTrustedDeviceToken } from '../../factors';
import type { LoginPresenters } from '../../factors/login-presenter';
import { allowedAtLogin, methodNotAllowed } from '../../domain/user-policy';
import { LOGIN_PRESENTERS } from '../../infra/factor-providers';
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
    @Inject(LOGIN_PRESENTERS) private readonly presenters: LoginPresenters,
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
    // Through the per-process caches (docs/trust-model.md, "Cached reads on verify-login"). With a token
    // organization and no device to remember or accept, that organization alone decides; otherwise every
    // membership does. The user's factors, lockout and used codes are read and guarded in the write below.
    const { mfaType } = command;
    const policy =
      orgId !== null && mfaType !== 'TRUSTED_DEVICE' && !command.remember.rememberDevice
        ? await this.policies.forLoginInCached(userId, orgId, mfaType, now)
        : (await this.policies.forUserCached(command.subject, now)).policy;
    // A method the login's organization excludes is refused before anything is counted; a remembered
    // device is judged by the factor that created it, inside the decision.
    if (command.mfaType !== 'TRUSTED_DEVICE' && !allowedAtLogin(policy, orgId, command.mfaType)) throw methodNotAllowed();
    const { code = '', token, credential } = command.presented;
    const presented = { userId, orgId, code, token, credential, policy, now };
    const factor: LoginFactor = await this.presenters[command.mfaType].present(presented);
    // Only when the policy of every organization of the user allows it (else 200 without a deviceToken).
    const device = command.remember.rememberDevice && command.mfaType !== 'TRUSTED_DEVICE' && policy.rememberDeviceDays > 0 ? issueTrustedDeviceToken() : null;
    const rememberDevice: RememberDevice | null = device
      ? { id: device.id, tokenHash: device.tokenHash, name: deviceName, days: policy.rememberDeviceDays }
      : null;
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
}
