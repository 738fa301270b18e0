import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { APP_CONFIG, AppConfig, AppError, CLOCK, Clock, validationFailed } from '@mfa/common';
import { decideRequestMagicLink } from '../../factors/magic-link/domain/magic-link.setup';
import { decideStartPasskeyRegistration } from '../../factors/passkey/domain/passkey.setup';
import { decideStartTotpSetup } from '../../factors/totp/domain/totp.setup';
import {
  assertUsableUserHandle,
  BackupCodes,
  CHALLENGE_TTL_MS,
  generatePasskeyChallenge,
  generateTotpSecret,
  issueMagicLink,
  PasskeyStrategy,
  renderQrPngDataUrl,
  SecretBox,
  totpSecretAad,
  totpUri,
} from '../../factors';
import { mayConfigure, methodNotAllowed } from '../../domain/user-policy';
import { OrgPolicyReader } from '../../infra/org-policy.reader';
import { emailNotVerified, MAGIC_LINK_RECIPIENT_BUCKET, recipientKey, sameAddress } from '../../infra/magic-link-recipients';
import { RateLimiter } from '../../infra/rate-limiter';
import { StepUpPolicy } from '../../infra/step-up.policy';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import type { MfaMethod } from '../../domain/mfa-method';
import { MagicLinkSetupResult, PasskeySetupResult, SetupMfaCommand, SetupResult, TotpSetupResult } from './setup-mfa.command';

@CommandHandler(SetupMfaCommand)
export class SetupMfaHandler implements ICommandHandler<SetupMfaCommand, SetupResult> {
  constructor(
    private readonly users: UserMfaRepository,
    private readonly secrets: SecretBox,
    private readonly backupCodes: BackupCodes,
    private readonly limiter: RateLimiter,
    private readonly passkeys: PasskeyStrategy,
    private readonly policies: OrgPolicyReader,
    private readonly stepUp: StepUpPolicy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: SetupMfaCommand): Promise<SetupResult> {
    // A method one of the user's organizations excludes (e.g. MAGIC_LINK under NIST rules) would never
    // satisfy it: judged on every active membership, so a token without orgId evades nothing.
    const { policy } = await this.policies.forUser(command.subject, this.clock.now());
    if (!mayConfigure(policy, command.mfaType)) throw methodNotAllowed();
    const setUp = this.setups[command.mfaType];
    if (!setUp) throw new AppError('validation', 'METHOD_NOT_SUPPORTED', 'MFA method setup is not available yet');
    return setUp(command);
  }

  /** Each factor's setup, by method: a new factor is one line here (and its folder). */
  private readonly setups: Record<MfaMethod, (command: SetupMfaCommand) => Promise<SetupResult>> = {
    GOOGLE_AUTH: (command) => this.setUpTotp(command),
    MAGIC_LINK: (command) => this.setUpMagicLink(command),
    PASSKEY: (command) => this.setUpPasskey(command),
  };

  /** A new secret (sealed), its otpauth URI and QR code, and backup codes that take effect once a code confirms it. */
  private async setUpTotp(command: SetupMfaCommand): Promise<TotpSetupResult> {
    const { userId } = command.subject;
    await this.limiter.consume('mfa-setup', userId, this.config.rateLimits.setup);
    const now = this.clock.now();
    const secret = generateTotpSecret();
    const otpauthUrl = totpUri({ secret, issuer: this.config.totp.issuer, accountName: command.accountName });
    const qrCode = await renderQrPngDataUrl(otpauthUrl);
    const codes = this.backupCodes.generate();
    const sealed = this.secrets.seal(secret, totpSecretAad(userId));
    await this.users.execute(
      userId,
      this.stepUp.guard(
        command.subject,
        (state, stepUpProven) =>
          decideStartTotpSetup(
            state,
            { ...command.subject, secret: sealed, backupCodeHashes: codes.hashes, ttlMs: this.config.totp.pendingSetupTtlMs, stepUpProven },
            now,
          ),
        now,
      ),
      command.meta,
      now,
    );
    return { secret, otpauthUrl, qrCode, backupCodes: codes.codes };
  }

  /** Records a setup link for the address and asks for its delivery (the token only travels in the link). */
  private async setUpMagicLink(command: SetupMfaCommand): Promise<MagicLinkSetupResult> {
    const { userId } = command.subject;
    const email = command.email;
    if (!email) {
      throw validationFailed([{ field: 'email', message: 'email is required' }]);
    }
    if (!this.config.magicLink.allowUnverifiedEmail && !sameAddress(email, command.tokenEmail)) throw emailNotVerified();
    await this.limiter.consume('mfa-setup', userId, this.config.rateLimits.setup);
    await this.limiter.consume(MAGIC_LINK_RECIPIENT_BUCKET, recipientKey(email), this.config.rateLimits.magicLinkRecipient);
    const now = this.clock.now();
    const issued = issueMagicLink(this.config.magicLink.baseUrl, now);
    await this.users.execute(
      userId,
      this.stepUp.guard(
        command.subject,
        (state, stepUpProven) => decideRequestMagicLink(state, { ...command.subject, ...issued, purpose: 'setup', email, stepUpProven }, now),
        now,
      ),
      command.meta,
      now,
    );
    return { email, verificationRequired: true };
  }

  /**
   * Stores a fresh registration challenge (replacing an older one) and returns the creation
   * options for it, excluding the passkeys the user already has.
   */
  private async setUpPasskey(command: SetupMfaCommand): Promise<PasskeySetupResult> {
    const { userId } = command.subject;
    assertUsableUserHandle(userId);
    await this.limiter.consume('mfa-setup', userId, this.config.rateLimits.setup);
    const now = this.clock.now();
    const challenge = generatePasskeyChallenge();
    const expiresAt = new Date(now.getTime() + CHALLENGE_TTL_MS);
    const { state } = await this.users.execute(
      userId,
      this.stepUp.guard(
        command.subject,
        (current, stepUpProven) =>
          decideStartPasskeyRegistration(current, { ...command.subject, challenge, expiresAt, name: command.deviceName, stepUpProven }, now),
        now,
      ),
      command.meta,
      now,
    );
    // Options from the committed state: excludeCredentials lists the passkeys registered so far.
    return this.passkeys.registrationOptions({
      userId,
      userName: command.accountName,
      existing: state.passkeys,
      challenge,
    });
  }
}
