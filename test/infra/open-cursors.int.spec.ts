import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';

/**
 * Cursors left open must not starve writes. Upstream FerretDB kept each open cursor's rows on
 * one of its 100 pooled SQLite connections per database; a client connection that held 100
 * undrained cursors and then wrote waited forever for a 101st — inside the proxy's global write
 * lock, which stalled every write of every suite behind it (CI, 4,000 s of timeouts). The local
 * build buffers query results instead (infra/ferretdb/patch-upstream.sh, fix 3). On MongoDB this
 * holds trivially.
 */
describe('open cursors (real database)', () => {
  let client: MongoClient;
  const dbName = `mfa_cursors_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const url = process.env.MFA_TEST_MONGO_URL;
    if (!url) throw new Error('MFA_TEST_MONGO_URL missing: run through jest global setup');
    // One pooled connection: every cursor below and the write share it, as in the wedge.
    client = await MongoClient.connect(url, { maxPoolSize: 1, serverSelectionTimeoutMS: 5000 });
  });
  afterAll(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  it('a connection holding 101 undrained cursors still writes, and the cursors still read', async () => {
    const docs = client.db(dbName).collection<{ _id: string; n: number }>('docs');
    await docs.insertMany([
      { _id: 'a', n: 0 },
      { _id: 'b', n: 0 },
      { _id: 'c', n: 0 },
    ]);
    const cursors = [];
    for (let i = 0; i < 101; i++) {
      const cursor = docs.find({ n: 0 }, { batchSize: 1, sort: { _id: 1 } });
      expect(await cursor.next()).toMatchObject({ _id: 'a' });
      cursors.push(cursor);
    }

    const updated = await docs.updateOne({ _id: 'b' }, { $inc: { n: 1 } }, { timeoutMS: 10_000 });
    expect(updated.modifiedCount).toBe(1);
    expect(await docs.findOne({ _id: 'b' }, { timeoutMS: 10_000 })).toEqual({ _id: 'b', n: 1 });

    // The open cursors still read on (whether 'b' is seen before or after its update is the
    // engine's business) and close cleanly.
    expect((await cursors[0].toArray()).map((doc) => doc._id)).toContain('c');
    await Promise.all(cursors.map((cursor) => cursor.close()));
  });
});
