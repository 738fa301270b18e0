import { uuidv7 } from '@mfa/common';
import { Collection, Document, Filter, Long, MongoClient, ObjectId } from 'mongodb';
import { randomUUID } from 'node:crypto';

/**
 * Pages read by an `_id` range (`mfa-ops replay`, enforcement jobs): `{_id: {$gt: last}}`, sorted by
 * `_id`, limited. The local FerretDB build pushes such a range on strings down to SQLite, with the
 * sort and the limit when the filter is the range alone (infra/ferretdb/patch-upstream.sh, fix 5);
 * a pushed-down condition that missed a document, or a limit cut before FerretDB's own filtering,
 * would lose documents silently. So every answer is compared with MongoDB's semantics computed
 * here: only string ids match a string bound (numbers, ObjectIds — one with its hex inside the
 * string ranges —, dates, booleans and documents never do), in byte order of their UTF-8, which
 * is not the order of their JSON text (`"a"` vs `"a!"`, escaped `<`, `\u0000`, U+2028).
 */
/** Any BSON value as `_id`, as in the mixed collection below. */
interface IdDoc {
  _id: unknown;
  n: number;
  touched?: boolean;
}

describe('_id range pages (real database)', () => {
  let client: MongoClient;
  let docs: Collection<IdDoc>;
  const dbName = `mfa_id_range_${randomUUID().slice(0, 8)}`;

  const tricky = [
    '',
    ' ',
    '!',
    'a',
    'a ',
    'a!',
    'a"',
    'a#',
    'a\\',
    'a<',
    'a>',
    'a&',
    'a\u0000',
    'a\u0000b',
    'a\u0001',
    'a\n',
    'a\t',
    'ab',
    'a\u007f',
    'a\u00e9',
    'a\u2028',
    'a\u2029z',
    'a\ufffd',
    'a\u{1f600}',
    'b',
    'A',
    'Z',
    '0',
    '9',
    '~',
    '\u00fc',
    '\u65e5\u672c',
    '65a1b2c3d4e5f60718293a4b',
  ];
  const uuids = Array.from({ length: 600 }, (_, i) => uuidv7(Date.UTC(2026, 0, 1) + i * 7));
  const strings = [...tricky, ...uuids];
  const others: unknown[] = [
    1,
    2.5,
    -3,
    Long.fromNumber(2 ** 40),
    // Its hex is inside string ranges below. (One with the same hex as a string id cannot be stored
    // on FerretDB v1: its unique _id index is on JSON text, where both are the same string.)
    new ObjectId('65a1b2c3d4e5f60718293a4c'),
    new ObjectId('ffffffffffffffffffffffff'),
    new Date(Date.UTC(2026, 0, 1)),
    true,
    { a: 'b' },
  ];
  const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  const sorted = [...strings].sort(byteOrder);

  /** The string ids MongoDB matches for these bounds, in `_id` order. */
  const expected = (bounds: { $gt?: string; $gte?: string; $lt?: string; $lte?: string }) =>
    sorted.filter(
      (s) =>
        (bounds.$gt === undefined || byteOrder(s, bounds.$gt) > 0) &&
        (bounds.$gte === undefined || byteOrder(s, bounds.$gte) >= 0) &&
        (bounds.$lt === undefined || byteOrder(s, bounds.$lt) < 0) &&
        (bounds.$lte === undefined || byteOrder(s, bounds.$lte) <= 0),
    );
  /** The driver types `_id` filters by the schema's `_id` type; this collection's is any BSON value. */
  const filterOf = (filter: Document) => filter as Filter<IdDoc>;
  const ids = async (filter: Document, options: { limit?: number; sort?: Document } = {}) =>
    (await docs.find(filter, { sort: options.sort ?? { _id: 1 }, limit: options.limit }).toArray()).map((d) => d._id as unknown);

  beforeAll(async () => {
    const url = process.env.MFA_TEST_MONGO_URL;
    if (!url) throw new Error('MFA_TEST_MONGO_URL missing: run through jest global setup');
    client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 5000 });
    docs = client.db(dbName).collection<IdDoc>('docs');
    // Inserted in an order unrelated to the ids', mixed types interleaved.
    const all = [...strings.map((id, n) => ({ _id: id, n })), ...others.map((id, n) => ({ _id: id, n: -1 - n }))];
    const shuffled = all.map((d, i) => ({ d, k: (i * 7919) % all.length })).sort((x, y) => x.k - y.k);
    await docs.insertMany(shuffled.map((x) => x.d) as never);
  });
  afterAll(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  it('the test data is what it claims: every id stored and read back unchanged', async () => {
    const back = await docs.find({}).toArray();
    expect(back).toHaveLength(strings.length + others.length);
    const stringIds = back.map((d) => d._id as unknown).filter((id): id is string => typeof id === 'string');
    expect(stringIds.sort(byteOrder)).toEqual(sorted);
  });

  it.each([1, 3, 7, 100])('pages of %i by {_id: {$gt: last}} return every string id once, in byte order, and nothing else', async (pageSize) => {
    const read: unknown[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < strings.length + 2; pages++) {
      const page = await ids({ _id: after === null ? { $gte: '' } : { $gt: after } }, { limit: pageSize });
      expect(page.length).toBeLessThanOrEqual(pageSize);
      read.push(...page);
      if (page.length < pageSize) break;
      after = page[page.length - 1] as string;
    }
    expect(read).toEqual(sorted);
  });

  it.each([
    ['$gt a', { $gt: 'a' }],
    ['$gte a', { $gte: 'a' }],
    ['$gt a (a!, a  and a\\u0000 sort after it)', { $gt: 'a', $lt: 'a#' }],
    ['$gte a!, $lte a<', { $gte: 'a!', $lte: 'a<' }],
    ['$gt a\\u0000 $lt a\\u0001', { $gt: 'a\u0000', $lt: 'a\u0001' }],
    ['$lt b (numbers are below strings in BSON order, yet never match)', { $lt: 'b' }],
    ['$lte 65a1…4c (the hex of an ObjectId id)', { $lte: '65a1b2c3d4e5f60718293a4c' }],
    ["$gte 65a1…4b, $lt 7 (an ObjectId id's hex inside)", { $gte: '65a1b2c3d4e5f60718293a4b', $lt: '7' }],
    ['$gt a\\u2028 (escaped in JSON)', { $gt: 'a\u2028' }],
    ['$gt the middle uuid', { $gt: uuids[300] }],
    ['$gte first uuid, $lt last uuid', { $gte: uuids[0], $lt: uuids[599] }],
    ['empty range', { $gt: 'b', $lt: 'a' }],
  ])('range %s: exactly its string ids, in order, whole and cut by a limit', async (_name, bounds) => {
    const want = expected(bounds);
    expect(await ids({ _id: bounds })).toEqual(want);
    for (const limit of [1, 2, 5, 50]) expect(await ids({ _id: bounds }, { limit })).toEqual(want.slice(0, limit));
  });

  it('an ObjectId, a number or a date bound matches its own type only (not pushed down)', async () => {
    expect(await ids({ _id: { $gte: new ObjectId('65a1b2c3d4e5f60718293a4b') } })).toEqual([
      new ObjectId('65a1b2c3d4e5f60718293a4c'),
      new ObjectId('ffffffffffffffffffffffff'),
    ]);
    expect(await ids({ _id: { $gt: 0 } }, { limit: 10 })).toEqual([1, 2.5, 2 ** 40]);
    expect(await ids({ _id: { $lte: new Date(Date.UTC(2026, 0, 2)) } })).toEqual([new Date(Date.UTC(2026, 0, 1))]);
  });

  it('a range with another condition, a descending sort or a skip still answers exactly (the limit is not pushed down then)', async () => {
    const want = expected({ $gt: 'a' });
    const nOf = new Map(strings.map((s, n) => [s, n]));
    const even = want.filter((s) => nOf.get(s)! % 2 === 0);
    expect(await ids({ _id: { $gt: 'a' }, n: { $mod: [2, 0] } }, { limit: 5 })).toEqual(even.slice(0, 5));
    expect(await ids({ $and: [{ _id: { $gt: 'a' } }, { n: { $gte: 0 } }] }, { limit: 4 })).toEqual(want.slice(0, 4));
    expect(await ids({ _id: { $gt: 'a' } }, { limit: 4, sort: { _id: -1 } })).toEqual([...want].reverse().slice(0, 4));
    const skipped = (await docs.find(filterOf({ _id: { $gt: 'a' } }), { sort: { _id: 1 }, skip: 3, limit: 4 }).toArray()).map((d) => d._id as unknown);
    expect(skipped).toEqual(want.slice(3, 7));
    expect(await ids({ _id: { $gt: 'a', $ne: 'ab' } }, { limit: 20 })).toEqual(want.filter((s) => s !== 'ab').slice(0, 20));
    expect(await ids({ _id: { $in: ['b', 'a', 'zz'] } }, { limit: 5 })).toEqual(['a', 'b']);
  });

  it('counts, deletes and updates by an _id range touch exactly that range', async () => {
    const want = expected({ $gte: 'a', $lt: 'b' });
    expect(await docs.countDocuments(filterOf({ _id: { $gte: 'a', $lt: 'b' } }))).toBe(want.length);
    const updated = await docs.updateMany(filterOf({ _id: { $gte: 'a', $lt: 'b' } }), { $set: { touched: true } });
    expect(updated.modifiedCount).toBe(want.length);
    expect((await docs.find({ touched: true }).toArray()).map((d) => d._id as unknown).sort()).toEqual([...want].sort());
    const removed = await docs.deleteMany(filterOf({ _id: { $gte: 'a', $lt: 'b' }, touched: true }));
    expect(removed.deletedCount).toBe(want.length);
    expect(await docs.countDocuments({})).toBe(strings.length + others.length - want.length);
  });
});
