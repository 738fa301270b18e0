import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import {
  decideCompletePasskeyRegistration,
  decideDiscardPasskeyChallenge,
  findPasskeyChallenge,
  passkeyRegistrationFailed,
} from '../../factors/passkey/domain/passkey.setup';
import { assertCredentialShape, passkeyAuthenticatorId, PasskeyStrategy, RegisteredPasskey } from '../../factors';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { CompletePasskeyRegistrationCommand } from './complete-passkey-registration.command';

@CommandHandler(CompletePasskeyRegistrationCommand)
export class CompletePasskeyRegistrationHandler implements ICommandHandler<CompletePasskeyRegistrationCommand, void> {
  constructor(
    private readonly users: UserMfaRepository,
    private readonly passkeys: PasskeyStrategy,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: CompletePasskeyRegistrationCommand): Promise<void> {
    const { userId } = command.subject;
    // Malformed or oversized: 400 INVALID_CREDENTIAL before anything is decoded.
    assertCredentialShape(command.credential);
    const now = this.clock.now();
    // Only this user's outstanding, unexpired registration challenge is verified against.
    const { state } = await this.users.load(userId);
    if (!findPasskeyChallenge(state, command.challenge, 'registration', now)) throw passkeyRegistrationFailed();
    const registered = await this.verifyOrDiscard(command, now);
    // Credential ids are unique across users: reserved atomically before the registration commits.
    if (!(await this.users.claimPasskeyCredential(registered.credentialId, userId, now))) {
      await this.discardChallenge(command, now);
      throw passkeyRegistrationFailed();
    }
    const { credentialId, publicKey, counter, transports, deviceType, backedUp, aaguid } = registered;
    try {
      // Decided again on the state it commits on: the challenge is consumed exactly once.
      await this.users.execute(
        userId,
        (current) =>
          decideCompletePasskeyRegistration(
            current,
            {
              ...command.subject,
              challenge: command.challenge,
              passkey: { id: passkeyAuthenticatorId(credentialId), credentialId, publicKey, counter, transports, deviceType, backedUp, aaguid },
            },
            now,
          ),
        command.meta,
        now,
      );
    } catch (error) {
      await this.users.releasePasskeyCredential(credentialId, userId).catch(() => undefined);
      throw error;
    }
  }

  /** A failed attestation uses the challenge up (single-use: a second submission fails too). */
  private async verifyOrDiscard(command: CompletePasskeyRegistrationCommand, now: Date): Promise<RegisteredPasskey> {
    try {
      return await this.passkeys.verifyRegistration({ response: command.credential, expectedChallenge: command.challenge });
    } catch (error) {
      await this.discardChallenge(command, now);
      throw error;
    }
  }

  private async discardChallenge(command: CompletePasskeyRegistrationCommand, now: Date): Promise<void> {
    await this.users.execute(
      command.subject.userId,
      (current) => decideDiscardPasskeyChallenge(current, { ...command.subject, challenge: command.challenge, ceremony: 'registration' }, now),
      command.meta,
      now,
    );
  }
}
