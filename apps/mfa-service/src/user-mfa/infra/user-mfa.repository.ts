import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { AggregateStore } from '@mfa/persistence';
import type { Collection as MongoCollection, Document } from 'mongodb';
import type { Connection } from 'mongoose';
import { OutboxRelay } from '../../outbox/outbox-relay';
import { MFA_METHODS } from '../domain/mfa-method';
import { MagicLinkState, MethodState, newUserMfa, VerificationState, PasskeyChallengeState, PasskeyState, UserMfaState } from '../domain/user-mfa';
import { USER_MFA_COLLECTION } from './user-mfa.document';

/** UserMfa aggregates in MongoDB (one document per user, state and outbox together). */
@Injectable()
export class UserMfaRepository extends AggregateStore<UserMfaState> implements OnApplicationBootstrap {
  private readonly documents: MongoCollection<Document>;

  constructor(@InjectConnection() connection: Connection, relay: OutboxRelay) {
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
            passkeys: (doc.passkeys ?? []) as PasskeyState[],
            passkeyChallenges: (doc.passkeyChallenges ?? []) as PasskeyChallengeState[],
            verification: { ...empty.verification, ...((doc.verification ?? {}) as Partial<VerificationState>) },
          };
        },
        // orgId belongs to membership (it is kept current from tokens and identity events): never written here.
        // magicLinkHashes is the lookup field for activation (a link arrives without a bearer token);
        // passkeyCredentialIds the one for "is this credential registered to anyone".
        toDocument: ({ userId: _userId, orgId: _orgId, ...state }: UserMfaState): Document => ({
          ...state,
          magicLinkHashes: state.magicLinks.map((l) => l.tokenHash),
          passkeyCredentialIds: state.passkeys.map((p) => p.credentialId),
        }),
      },
      (userId) => relay.wake(USER_MFA_COLLECTION, userId),
    );
    this.documents = connection.db!.collection(USER_MFA_COLLECTION);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.documents.createIndex({ magicLinkHashes: 1 });
    // Not unique: a unique multikey index treats every empty array as the same key, so it would
    // refuse a second user without passkeys. Uniqueness across users is checked before commit
    // (passkeyCredentialIdTaken); see the race note there.
    await this.documents.createIndex({ passkeyCredentialIds: 1 });
  }

  /**
   * Whether another user already holds this credential id. Checked before committing a
   * registration; two users committing the same brand-new credential id at the same instant
   * could both pass (a credential id is 16+ random bytes chosen by one authenticator, so this
   * needs a cloned authenticator racing itself; accepted and documented).
   */
  async passkeyCredentialIdTaken(credentialId: string, userId: string): Promise<boolean> {
    const doc = await this.documents.findOne({ passkeyCredentialIds: credentialId, _id: { $ne: userId } } as never, { projection: { _id: 1 } });
    return doc !== null;
  }

  /** The user holding an outstanding magic link with this token hash, if any. */
  async userIdByMagicLinkHash(tokenHash: string): Promise<string | null> {
    const doc = await this.documents.findOne({ magicLinkHashes: tokenHash }, { projection: { _id: 1 } });
    return doc ? String(doc._id) : null;
  }
}
