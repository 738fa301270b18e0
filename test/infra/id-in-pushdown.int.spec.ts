import { randomUUID } from 'node:crypto';
import { Document, Filter, MongoClient, ObjectId } from 'mongodb';

/**
 * `{_id: {$in: [...]}}` against the real database. The outbox relay, the enforcement fan-out and
 * the compliance pages read a batch of documents with it; on MongoDB it is an `_id` index read,
 * and the local FerretDB does the same with infra/ferretdb/patch-upstream.sh fix 4 (upstream scans
 * the collection). The push-down may only ever select a superset: every answer here must be exact,
 * whatever the types of the `_id`s stored and listed.
 */
describe('_id $in (real database)', () => {
  let client: MongoClient;
  const dbName = `mfa_id_in_${randomUUID().slice(0, 8)}`;
  const oid = new ObjectId('650000000000000000000001');
  const odd = 'é"\\q\u0000x';

  beforeAll(async () => {
    const url = process.env.MFA_TEST_MONGO_URL;
    if (!url) throw new Error('MFA_TEST_MONGO_URL missing: run through jest global setup');
    client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 5000 });
    await things().insertMany([
      ...Array.from({ length: 2000 }, (_, i) => ({ _id: `r-${String(i).padStart(4, '0')}`, n: i })),
      { _id: 5, n: -1 },
      { _id: '5', n: -2 },
      { _id: oid, n: -3 },
      { _id: odd, n: -4 },
      { _id: { nested: 'r-0001' }, n: -5 },
    ] as Document[]);
  });
  afterAll(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  const things = () => client.db(dbName).collection<Document>('things');
  /** `{_id: {$in: values}}` (the driver's types only allow the collection's own `_id` type). */
  const idIn = (values: unknown[], rest: Document = {}): Filter<Document> => ({ _id: { $in: values }, ...rest }) as Filter<Document>;
  const ns = (docs: Document[]) => docs.map((d) => d.n).sort((a, b) => a - b);

  it('selects exactly the listed string ids, none of another type with the same text', async () => {
    expect(
      ns(
        await things()
          .find(idIn(['r-0000', 'r-0007', 'r-1999', 'missing']))
          .toArray(),
      ),
    ).toEqual([0, 7, 1999]);
    expect(
      ns(
        await things()
          .find(idIn(['5']))
          .toArray(),
      ),
    ).toEqual([-2]);
    expect(
      ns(
        await things()
          .find(idIn([oid.toHexString()]))
          .toArray(),
      ),
    ).toEqual([]);
    expect(
      ns(
        await things()
          .find(idIn([odd, oid]))
          .toArray(),
      ),
    ).toEqual([-4, -3]);
  });

  it('a list mixing types, an empty list, a long list and other conditions stay exact', async () => {
    expect(
      ns(
        await things()
          .find(idIn([5, 'r-0001']))
          .toArray(),
      ),
    ).toEqual([-1, 1]);
    expect(
      ns(
        await things()
          .find(idIn([{ nested: 'r-0001' }]))
          .toArray(),
      ),
    ).toEqual([-5]);
    expect(await things().find(idIn([])).toArray()).toEqual([]);
    const many = Array.from({ length: 1500 }, (_, i) => `r-${String(i).padStart(4, '0')}`);
    expect(await things().countDocuments(idIn(many))).toBe(1500);
    expect(
      ns(
        await things()
          .find(idIn(['r-0001', 'r-0002'], { n: 2 }))
          .toArray(),
      ),
    ).toEqual([2]);
    expect(
      ns(
        await things()
          .find({ _id: { $in: ['r-0001', 'r-0002'], $ne: 'r-0001' } } as unknown as Filter<Document>)
          .toArray(),
      ),
    ).toEqual([2]);
  });

  it('updates and deletes by an $in list touch exactly those documents', async () => {
    const update = await things().updateMany(idIn(['r-0010', 'r-0011', 5]), { $set: { touched: true } });
    expect(update.modifiedCount).toBe(3);
    expect(await things().countDocuments({ touched: true })).toBe(3);
    const deleted = await things().deleteMany(idIn(['r-0010', '5', oid], { touched: true }));
    expect(deleted.deletedCount).toBe(1);
    expect(await things().countDocuments(idIn(['r-0010', '5', oid]))).toBe(2);
  });

  it('is an index read of the _id index, not a collection scan', async () => {
    const explained = await things()
      .find(idIn(['r-0001', 'r-0002']))
      .explain();
    const plan = JSON.stringify(explained.queryPlanner);
    if ('Plan' in explained.queryPlanner) {
      // FerretDB (SQLite backend): the plan SQLite chose.
      expect(plan).toMatch(/SEARCH \S+ USING INDEX \S+__id_/);
      expect(plan).not.toMatch(/detail=SCAN/);
    } else {
      expect(plan).toMatch(/IXSCAN|IDHACK|EXPRESS/);
      expect(plan).not.toMatch(/COLLSCAN/);
    }
  });
});
