import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { isDuplicateKey } from '@mfa/persistence';
import type { Connection } from 'mongoose';
import { MIGRATIONS_COLLECTION } from '../../membership/member-key.migration';
import { exemptionKey, FAR_FUTURE, ORG_EXEMPTIONS_COLLECTION, OrgExemptionDocument } from './org-exemption.document';
import { ORG_POLICY_COLLECTION, OrgPolicyDocument } from './org-policy.document';

const MIGRATION_ID = 'org-exemptions-v1';
const PAGE = 500;

/**
 * Moves exemptions kept in the policy document (`exemptions: [...]`, before they had their own
 * collection) to ORG_EXEMPTIONS_COLLECTION, then removes the array. Runs before the instance
 * serves (bootstrap), once (recorded in `migrations`). Idempotent and safe with several instances
 * starting together: each exemption is inserted with revision 0 only where no document exists,
 * so whatever a newer change wrote (a grant or a revocation, revision ≥ 1) wins, and the array is
 * removed only after all of it was copied.
 */
@Injectable()
export class ExemptionsMigration implements OnApplicationBootstrap {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  async onApplicationBootstrap(): Promise<void> {
    const migrations = this.connection.collection<{ _id: string; doneAt: Date; moved: number }>(MIGRATIONS_COLLECTION);
    if (await migrations.findOne({ _id: MIGRATION_ID })) return;
    const moved = await this.run();
    await migrations.updateOne({ _id: MIGRATION_ID }, { $setOnInsert: { doneAt: new Date(), moved } }, { upsert: true });
  }

  /** Returns how many exemptions were copied. */
  async run(): Promise<number> {
    const policies = this.connection.collection<OrgPolicyDocument>(ORG_POLICY_COLLECTION);
    let moved = 0;
    // A one-time read of every policy, in `_id` pages.
    for (let after = ''; ; ) {
      const page = await policies.find({ _id: { $gt: after } }, { projection: { exemptions: 1 }, sort: { _id: 1 }, limit: PAGE }).toArray();
      for (const doc of page) moved += await this.move(doc);
      if (page.length < PAGE) return moved;
      after = page[page.length - 1]._id;
    }
  }

  private async move(doc: Pick<OrgPolicyDocument, '_id' | 'exemptions'>): Promise<number> {
    if (!Array.isArray(doc.exemptions)) return 0;
    const exemptions = this.connection.collection<OrgExemptionDocument>(ORG_EXEMPTIONS_COLLECTION);
    let moved = 0;
    for (const e of doc.exemptions) {
      try {
        await exemptions.insertOne({
          _id: exemptionKey(doc._id, e.userId),
          orgId: doc._id,
          userId: e.userId,
          reason: e.reason,
          expiresAt: e.expiresAt ?? null,
          grantedBy: e.grantedBy,
          grantedAt: e.grantedAt,
          revision: 0,
          activeUntil: e.expiresAt ?? FAR_FUTURE,
        });
        moved += 1;
      } catch (error) {
        // Already moved, or a newer change (revision >= 1) wrote this member's exemption: that one stands.
        if (!isDuplicateKey(error)) throw error;
      }
    }
    // Only once every exemption is copied.
    await this.connection.collection<OrgPolicyDocument>(ORG_POLICY_COLLECTION).updateOne({ _id: doc._id }, { $unset: { exemptions: '' } });
    return moved;
  }
}
