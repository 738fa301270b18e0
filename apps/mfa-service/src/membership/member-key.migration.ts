import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { isDuplicateKey } from '@mfa/persistence';
import type { Connection } from 'mongoose';
import { MEMBERSHIP_VERSIONS_COLLECTION, memberKey, ORG_MEMBERS_COLLECTION } from './org-member.document';

export const MIGRATIONS_COLLECTION = 'migrations';
const MIGRATION_ID = 'member-keys-v2';

/**
 * Moves member and membership-version documents written under the old colliding key
 * (`${orgId}:${userId}`) to memberKey(). Runs once (recorded in `migrations`); idempotent, so
 * several instances starting together, or one interrupted half-way, converge. Only ids with
 * characters that percent-encoding changes have a different key; the rest are left alone.
 */
@Injectable()
export class MemberKeyMigration implements OnApplicationBootstrap {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  async onApplicationBootstrap(): Promise<void> {
    const migrations = this.connection.collection<{ _id: string; doneAt: Date; moved: number }>(MIGRATIONS_COLLECTION);
    if (await migrations.findOne({ _id: MIGRATION_ID })) return;
    let moved = 0;
    for (const name of [ORG_MEMBERS_COLLECTION, MEMBERSHIP_VERSIONS_COLLECTION]) moved += await this.rekey(name);
    await migrations.updateOne({ _id: MIGRATION_ID }, { $setOnInsert: { doneAt: new Date(), moved } }, { upsert: true });
  }

  private async rekey(name: string): Promise<number> {
    const collection = this.connection.collection<{ _id: string; orgId: string; userId: string }>(name);
    let moved = 0;
    // A one-time full read; only documents whose key changes are written.
    for await (const doc of collection.find({}, { projection: { orgId: 1, userId: 1 } })) {
      if (typeof doc.orgId !== 'string' || typeof doc.userId !== 'string') continue;
      const key = memberKey(doc.orgId, doc.userId);
      if (doc._id === key) continue;
      const full = await collection.findOne({ _id: doc._id });
      if (!full) continue;
      try {
        await collection.insertOne({ ...full, _id: key });
      } catch (error) {
        // Already moved by another instance (or a newer document under the new key): keep that one.
        if (!isDuplicateKey(error)) throw error;
      }
      await collection.deleteOne({ _id: doc._id });
      moved += 1;
    }
    return moved;
  }
}
