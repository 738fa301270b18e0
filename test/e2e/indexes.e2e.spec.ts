import { MongoClient } from 'mongodb';
import { INDEX_CATALOGUE } from '../../apps/mfa-service/src/infra/indexes';
import { runServiceToExit } from '../harness/service-process';
import { startTestApp } from '../harness/test-app';
import { requireInfra, serviceEnv, uniqueName } from '../harness/test-env';

/** Index changes must never brick start-up: declared by name, superseded ones dropped, conflicts named. */
describe('declared indexes at start-up', () => {
  let mongo: MongoClient;
  beforeAll(async () => (mongo = await MongoClient.connect(requireInfra().mongoUrl)));
  afterAll(async () => mongo.close());

  const names = async (dbName: string, collection: string) =>
    (await mongo.db(dbName).collection(collection).listIndexes().toArray()).map((i) => i.name as string).sort();

  it('drops what an older version declared (auto-named, or same keys under another name) and creates the catalogue by name', async () => {
    const dbName = uniqueName('mfa_idx');
    const db = mongo.db(dbName);
    await db.collection('user_mfa').createIndex({ outboxSince: 1 }); // outboxSince_1, not sparse
    await db.collection('org_members').createIndex({ orgId: 1, userId: 1 }); // same keys as orgId_userId_v1
    await db.collection('org_policies').createIndex({ retired: 1 }, { name: 'retired_v3' });

    const t = await startTestApp({ env: { MONGO_DB_NAME: dbName } });
    try {
      for (const [collection, specs] of Object.entries(INDEX_CATALOGUE)) {
        expect({ collection, names: await names(dbName, collection) }).toEqual({ collection, names: ['_id_', ...specs.map((s) => s.name)].sort() });
      }
    } finally {
      await t.close();
    }
  });

  it('a declared name that exists with another definition → exit 1 naming the index conflict (not "database unreachable"), nothing changed', async () => {
    const env = serviceEnv();
    const db = mongo.db(env.MONGO_DB_NAME);
    await db.collection('user_mfa').createIndex({ email: 1 }, { name: 'orgId_enabledMethods_v1' });
    const before = await names(env.MONGO_DB_NAME!, 'user_mfa');
    try {
      const result = await runServiceToExit(env);
      expect(result.code).toBe(1);
      expect(result.output).toContain('Cannot start: IndexDefinitionError: index orgId_enabledMethods_v1 on user_mfa conflicts with an existing index');
      expect(result.output).not.toContain('database unreachable');
      expect(await names(env.MONGO_DB_NAME!, 'user_mfa')).toEqual(before);
    } finally {
      await db.dropDatabase();
    }
  });
});
