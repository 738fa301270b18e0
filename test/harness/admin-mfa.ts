import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';
import { STEPPED_UP } from './tokens';

/** Anything with `collection(name).updateOne(...)`: a driver Db or a mongoose Connection. */
interface Database {
  collection(name: string): { updateOne(filter: object, update: object, options?: object): Promise<unknown> };
}

/**
 * Gives `userId` an enabled authenticator app straight in the database: an admin who has MFA.
 * Suites about org policy use it so that their admins may lower security (lift enforcement, grant
 * exemptions, reset members) with a stepped-up token (`adminClaims`); the factor itself is what
 * other suites test. Idempotent, and it keeps any state the user already has.
 */
export async function seedAdminMfa(db: Database, userId: string, method: 'GOOGLE_AUTH' | 'MAGIC_LINK' | 'PASSKEY' = 'GOOGLE_AUTH'): Promise<void> {
  const now = new Date();
  await db.collection(USER_MFA_COLLECTION).updateOne(
    { _id: userId },
    {
      $set: { enabledMethods: [method], primaryMethod: method, [`methods.${method}`]: { status: 'enabled', configuredAt: now, enabledAt: now } },
      $max: { version: 1 },
    },
    { upsert: true },
  );
}

/** Token claims of an admin whose session has just passed a second factor (signToken stamps `auth_time`). */
export const adminClaims = (sub: string, orgId: string, orgRole: number) => ({ sub, orgId, orgRole, amr: STEPPED_UP });
