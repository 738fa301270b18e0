import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { AggregateStore, CommandMeta, isDuplicateKey, Loaded, StoredEvent } from '@mfa/persistence';
import type { Decision } from '@mfa/common/domain/decision';
import type { Collection as MongoCollection, Document } from 'mongodb';
import type { Connection } from 'mongoose';
import { OutboxRelay } from '../../outbox/outbox-relay';
import { OutboxSealer } from '../../outbox/outbox-sealer';
import { MFA_METHODS } from '../domain/mfa-method';
import { passkeyAuthenticatorId } from '../factors/trusted-device/trusted-device-token';
import {
  MagicLinkState,
  MethodState,
  newUserMfa,
  PasskeyChallengeState,
  PasskeyState,
  SealedSecretData,
  TrustedDeviceState,
  UserMfaState,
} from '../domain/user-mfa';
import { verificationFromStored } from '../domain/verification-state';
import { firstRemovableAt, withoutExpiredEntries } from '../domain/expired-entries';
import { SecretBox, totpSecretAad } from '../factors/secret-box';
import { PASSKEY_CREDENTIALS_COLLECTION, PasskeyCredentialClaim, USER_MFA_COLLECTION } from './user-mfa.document';

/** The sealed secret under the current key; as it is when it is current or cannot be opened (that fails where it is used). */
function resealed(secrets: SecretBox, sealed: SealedSecretData, userId: string): SealedSecretData {
  if (!secrets.needsRotation(sealed)) return sealed;
  try {
    return secrets.reseal(sealed, totpSecretAad(userId));
  } catch {
    return sealed;
  }
}

/** UserMfa aggregates in MongoDB (one document per user, state and outbox together). */
@Injectable()
export class UserMfaRepository extends AggregateStore<UserMfaState> {
  private readonly documents: MongoCollection<Document>;
  private readonly credentials: MongoCollection<PasskeyCredentialClaim>;

  constructor(@InjectConnection() connection: Connection, relay: OutboxRelay, sealer: OutboxSealer, secrets: SecretBox) {
    super(
      connection.db!.collection(USER_MFA_COLLECTION),
      'user',
      {
        fromDocument: (doc: Document): UserMfaState => {
          const empty = newUserMfa(doc._id, doc.orgId ?? null);
          const stored = (doc.methods ?? {}) as Partial<Record<string, MethodState>>;
          return {
            ...empty,
            methods: Object.fromEntries(MFA_METHODS.map((m) => [m, stored[m] ?? empty.methods[m]])) as UserMfaState['methods'],
            enabledMethods: doc.enabledMethods ?? [],
            primaryMethod: doc.primaryMethod ?? null,
            totp: doc.totp ?? null,
            backupCodes: doc.backupCodes ?? [],
            email: doc.email ?? null,
            magicLinks: (doc.magicLinks ?? []) as MagicLinkState[],
            // Passkeys stored before authenticator ids existed get theirs from the credential id (the same function).
            passkeys: ((doc.passkeys ?? []) as PasskeyState[]).map((p) => (p.id ? p : { ...p, id: passkeyAuthenticatorId(p.credentialId) })),
            passkeyChallenges: (doc.passkeyChallenges ?? []) as PasskeyChallengeState[],
            verification: verificationFromStored(doc.verification),
            factorMeta: {
              GOOGLE_AUTH: doc.factorMeta?.GOOGLE_AUTH ?? empty.factorMeta.GOOGLE_AUTH,
              MAGIC_LINK: doc.factorMeta?.MAGIC_LINK ?? empty.factorMeta.MAGIC_LINK,
            },
            backupCodesGeneratedAt: doc.backupCodesGeneratedAt ?? null,
            trustedDevices: (doc.trustedDevices ?? []) as TrustedDeviceState[],
          };
        },
        // orgId belongs to membership (it is kept current from tokens and identity events): never written here.
        // magicLinkHashes is the lookup field for activation (a link arrives without a bearer token).
        // Every write re-seals a TOTP secret still under a previous key (re-seal on use), so keys retire.
        toDocument: ({ userId, orgId: _orgId, ...state }: UserMfaState): Document => ({
          ...state,
          totp: state.totp && { ...state.totp, secret: resealed(secrets, state.totp.secret, userId) },
          magicLinkHashes: state.magicLinks.map((l) => l.tokenHash),
          passkeyCredentialIds: state.passkeys.map((p) => p.credentialId),
          // When the expired-entries sweep should look at this document again (null: nothing transient).
          pruneAt: firstRemovableAt(state),
        }),
      },
      (userId, events) => {
        if (events.length > 0) relay.wake(USER_MFA_COLLECTION, userId, false);
      },
      // A magic link's token must not sit readable in the outbox until it is published.
      (event) => sealer.seal(event),
      // No pending marker on the request path: the wake above publishes from this process, and the relay
      // marks what it could not publish (Kafka away, leased elsewhere, shutdown); see PendingOutboxes.
    );
    this.documents = connection.db!.collection(USER_MFA_COLLECTION);
    this.credentials = connection.db!.collection<PasskeyCredentialClaim>(PASSKEY_CREDENTIALS_COLLECTION);
  }

  /** Every write also drops magic links and challenges long expired (expired-entries.ts): the document never accumulates them. */
  override commit(id: string, loaded: Loaded<UserMfaState>, decision: Decision<UserMfaState>, meta: CommandMeta, at: Date): Promise<StoredEvent[]> {
    return super.commit(id, loaded, { ...decision, state: withoutExpiredEntries(decision.state, at) }, meta, at);
  }

  /**
   * Reserves a credential id for `userId` across all users: one document per credential id in
   * PASSKEY_CREDENTIALS_COLLECTION, whose `_id` makes the reservation atomic (no multikey index
   * or transaction needed). True when the id is now (or already was) this user's.
   */
  async claimPasskeyCredential(credentialId: string, userId: string, now: Date): Promise<boolean> {
    try {
      await this.credentials.insertOne({ _id: credentialId, userId, claimedAt: now });
      return true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const owner = await this.credentials.findOne({ _id: credentialId });
      return owner?.userId === userId;
    }
  }

  /** Gives a reservation back when the registration it was made for did not commit. */
  async releasePasskeyCredential(credentialId: string, userId: string): Promise<void> {
    await this.credentials.deleteOne({ _id: credentialId, userId });
  }

  /** Frees the credential ids of passkeys a user no longer has (reset), by `_id` in one command. */
  async releasePasskeyCredentials(userId: string, credentialIds: string[]): Promise<void> {
    if (credentialIds.length > 0) await this.credentials.deleteMany({ _id: { $in: credentialIds }, userId });
  }

  /** The user holding an outstanding magic link with this token hash, if any. */
  async userIdByMagicLinkHash(tokenHash: string): Promise<string | null> {
    const doc = await this.documents.findOne({ magicLinkHashes: tokenHash }, { projection: { _id: 1 } });
    return doc ? String(doc._id) : null;
  }
}
