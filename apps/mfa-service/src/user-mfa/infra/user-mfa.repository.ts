import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { AggregateStore } from '@mfa/persistence';
import type { Document } from 'mongodb';
import type { Connection } from 'mongoose';
import { OutboxRelay } from '../../outbox/outbox-relay';
import { MFA_METHODS } from '../domain/mfa-method';
import { MethodState, newUserMfa, UserMfaState } from '../domain/user-mfa';
import { USER_MFA_COLLECTION } from './user-mfa.document';

/** UserMfa aggregates in MongoDB (one document per user, state and outbox together). */
@Injectable()
export class UserMfaRepository extends AggregateStore<UserMfaState> {
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
          };
        },
        // orgId belongs to membership (it is kept current from tokens and identity events): never written here.
        toDocument: ({ userId: _userId, orgId: _orgId, ...state }: UserMfaState): Document => ({ ...state }),
      },
      (userId) => relay.wake(USER_MFA_COLLECTION, userId),
    );
  }
}
