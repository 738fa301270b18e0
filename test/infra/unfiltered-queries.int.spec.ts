import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';

/**
 * Queries without a filter — what operators and tools run (estimatedDocumentCount, an aggregate
 * not starting with $match, a bare find) — against the real database. The local FerretDB build
 * crashed on them when infra/ferretdb/patch-upstream.sh made its _id push-down dereference a nil
 * filter; after each query the server must still answer.
 */
describe('queries without a filter (real database)', () => {
  let client: MongoClient;
  const dbName = `mfa_unfiltered_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const url = process.env.MFA_TEST_MONGO_URL;
    if (!url) throw new Error('MFA_TEST_MONGO_URL missing: run through jest global setup');
    client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 5000 });
    await client
      .db(dbName)
      .collection('things')
      .insertMany([
        { _id: 'a', n: 1 },
        { _id: 'b', n: 2 },
        { _id: 'c', n: 4 },
      ] as never);
  });
  afterAll(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  const things = () => client.db(dbName).collection<{ _id: string; n: number }>('things');
  const stillAnswers = async () => expect(await client.db(dbName).command({ ping: 1 })).toMatchObject({ ok: 1 });

  it('estimatedDocumentCount', async () => {
    expect(await things().estimatedDocumentCount()).toBe(3);
    await stillAnswers();
  });

  it('an aggregate whose first stage is not $match', async () => {
    expect(
      await things()
        .aggregate([{ $group: { _id: null, total: { $sum: '$n' } } }])
        .toArray(),
    ).toEqual([{ _id: null, total: 7 }]);
    expect(
      await things()
        .aggregate([{ $sort: { n: -1 } }, { $limit: 1 }])
        .toArray(),
    ).toEqual([{ _id: 'c', n: 4 }]);
    await stillAnswers();
  });

  it('a find and a count with an empty filter, and the _id push-down still exact with other conditions', async () => {
    expect(await things().find({}).sort({ _id: 1 }).toArray()).toHaveLength(3);
    expect(await things().countDocuments({})).toBe(3);
    expect(await things().findOne({ _id: 'b', n: 3 })).toBeNull();
    expect(await things().findOne({ _id: 'b', n: 2 })).toEqual({ _id: 'b', n: 2 });
    await stillAnswers();
  });
});
