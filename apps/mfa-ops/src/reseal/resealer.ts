import type { Collection, Db, Document } from 'mongodb';
import { SealedSecret, SecretBox, totpSecretAad } from '../../../mfa-service/src/user-mfa/factors/secret-box';
import { USER_MFA_COLLECTION } from '../../../mfa-service/src/user-mfa/infra/user-mfa.document';

export const RESEAL_JOBS_COLLECTION = 'reseal_jobs';

/** A resumable reseal's checkpoint, one document per job name. */
export interface ResealJobDocument {
  _id: string;
  /** The last user id handled (users are visited in `_id` order). */
  after: string | null;
  resealed: number;
  failed: string[];
  status: 'running' | 'interrupted' | 'completed';
  currentKeyId: string;
  updatedAt: Date;
}

export interface ResealCounts {
  /** TOTP secrets by the key id that seals them, current key excluded. */
  byKey: Record<string, number>;
  total: number;
}

export interface ResealOutcome {
  resealed: number;
  /** Users whose secret did not open with any configured key (they need a reset). */
  failed: string[];
  interrupted: boolean;
}

interface UserTotpDoc {
  _id: string;
  version?: number;
  totp?: { secret?: SealedSecret } | null;
}

const MAX_RETRIES = 5;

/**
 * Finds the TOTP secrets still sealed under an old key and re-seals each under the current key
 * with a version-guarded write (the same guard every command uses, so no concurrent change is lost).
 */
export class Resealer {
  private readonly users: Collection<UserTotpDoc>;
  private readonly jobs: Collection<ResealJobDocument>;

  constructor(
    db: Db,
    private readonly box: SecretBox,
    private readonly currentKeyId: string,
  ) {
    this.users = db.collection<UserTotpDoc>(USER_MFA_COLLECTION);
    this.jobs = db.collection<ResealJobDocument>(RESEAL_JOBS_COLLECTION);
  }

  private oldKeyFilter(after: string | null): Document {
    return { 'totp.secret.keyId': { $exists: true, $ne: this.currentKeyId }, ...(after === null ? {} : { _id: { $gt: after } }) };
  }

  async count(after: string | null = null): Promise<ResealCounts> {
    const byKey: Record<string, number> = {};
    let total = 0;
    const cursor = this.users.find(this.oldKeyFilter(after) as never, { projection: { 'totp.secret.keyId': 1 } });
    for await (const doc of cursor) {
      const keyId = doc.totp?.secret?.keyId ?? '?';
      byKey[keyId] = (byKey[keyId] ?? 0) + 1;
      total += 1;
    }
    return { byKey, total };
  }

  async job(name: string): Promise<ResealJobDocument | null> {
    return this.jobs.findOne({ _id: name });
  }

  /** Re-seals in `_id` order after the job's checkpoint; `onBatch` gets the running count of users handled. */
  async run(jobName: string, batchSize: number, signal: AbortSignal, onBatch: (handled: number) => void): Promise<ResealOutcome> {
    const existing = await this.job(jobName);
    const resume = existing && existing.status !== 'completed' && existing.currentKeyId === this.currentKeyId;
    let after = resume ? existing.after : null;
    let resealed = resume ? existing.resealed : 0;
    const failed = resume ? [...existing.failed] : [];
    await this.checkpoint(jobName, after, resealed, failed, 'running');
    for (;;) {
      if (signal.aborted) {
        await this.checkpoint(jobName, after, resealed, failed, 'interrupted');
        return { resealed, failed, interrupted: true };
      }
      const batch = await this.users
        .find(this.oldKeyFilter(after) as never, { projection: { _id: 1 } })
        .sort({ _id: 1 })
        .limit(batchSize)
        .toArray();
      if (batch.length === 0) break;
      for (const { _id } of batch) {
        if (await this.resealOne(_id)) resealed += 1;
        else failed.push(_id);
      }
      after = batch[batch.length - 1]._id;
      await this.checkpoint(jobName, after, resealed, failed, 'running');
      onBatch(resealed + failed.length);
    }
    await this.checkpoint(jobName, after, resealed, failed, 'completed');
    return { resealed, failed, interrupted: false };
  }

  /** True when the user's secret is now under the current key (re-sealed here or meanwhile). */
  private async resealOne(userId: string): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const doc = await this.users.findOne({ _id: userId }, { projection: { version: 1, totp: 1 } });
      const sealed = doc?.totp?.secret;
      if (!doc || !sealed || !this.box.needsRotation(sealed)) return true;
      let next: SealedSecret;
      try {
        next = this.box.reseal(sealed, totpSecretAad(userId));
      } catch {
        return false;
      }
      const version = doc.version ?? 0;
      const result = await this.users.updateOne(
        { _id: userId, version, 'totp.secret.keyId': sealed.keyId, 'totp.secret.ciphertext': sealed.ciphertext } as never,
        { $set: { 'totp.secret': next, version: version + 1 } },
      );
      if (result.modifiedCount === 1) return true;
    }
    return false;
  }

  private async checkpoint(name: string, after: string | null, resealed: number, failed: string[], status: ResealJobDocument['status']): Promise<void> {
    await this.jobs.updateOne(
      { _id: name },
      { $set: { after, resealed, failed, status, currentKeyId: this.currentKeyId, updatedAt: new Date() } },
      { upsert: true },
    );
  }
}
