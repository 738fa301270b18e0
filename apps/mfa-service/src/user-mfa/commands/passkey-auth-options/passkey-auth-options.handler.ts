import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { decideStartPasskeyAuthentication } from '../../factors/passkey/domain/passkey.setup';
import { CHALLENGE_TTL_MS, generatePasskeyChallenge, PasskeyStrategy } from '../../factors';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { PasskeyAuthOptions, PasskeyAuthOptionsCommand } from './passkey-auth-options.command';

@CommandHandler(PasskeyAuthOptionsCommand)
export class PasskeyAuthOptionsHandler implements ICommandHandler<PasskeyAuthOptionsCommand, PasskeyAuthOptions> {
  constructor(
    private readonly users: UserMfaRepository,
    private readonly passkeys: PasskeyStrategy,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: PasskeyAuthOptionsCommand): Promise<PasskeyAuthOptions> {
    const now = this.clock.now();
    const challenge = generatePasskeyChallenge();
    const expiresAt = new Date(now.getTime() + CHALLENGE_TTL_MS);
    // No passkey: 404. The challenge is stored, version-guarded, without an event.
    const { state } = await this.users.execute(
      command.subject.userId,
      (current) => decideStartPasskeyAuthentication(current, { ...command.subject, challenge, expiresAt }, now),
      command.meta,
      now,
    );
    const options = await this.passkeys.authenticationOptions({ allow: state.passkeys, challenge });
    return {
      challenge: options.challenge,
      rpId: options.rpId ?? '',
      userVerification: this.passkeys.userVerification,
      timeout: options.timeout ?? CHALLENGE_TTL_MS,
      allowCredentials: (options.allowCredentials ?? []).map((c) => ({ ...c, type: 'public-key' as const })),
    };
  }
}
