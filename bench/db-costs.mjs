// The database's cost model, measured in the run: reads and writes by _id, and by {_id: {$in}},
// at two collection sizes. Explains the command-path and fan-out figures on FerretDB.
import { MongoClient } from 'mongodb';
import { infrastructure } from './lib.mjs';

export async function dbCosts(sizes = [1000, 10000]) {
  const infra = infrastructure();
  const mongo = await MongoClient.connect(infra.mongoUrl);
  const db = mongo.db(`mfa_bench_costs_${Date.now().toString(36)}`);
  const rows = [];
  try {
    for (const size of sizes) {
      const col = db.collection(`docs_${size}`);
      for (let i = 0; i < size; i += 5000) {
        await col.insertMany(Array.from({ length: Math.min(5000, size - i) }, (_, j) => ({ _id: `d-${i + j}`, version: 1, outbox: [] })));
      }
      const time = async (fn, n = 10) => {
        const started = performance.now();
        for (let i = 0; i < n; i++) await fn(i);
        return (performance.now() - started) / n;
      };
      rows.push({
        documents: size,
        findOneByIdMs: (await time((i) => col.findOne({ _id: `d-${i}` }))).toFixed(1),
        updateOneByIdMs: (await time((i) => col.updateOne({ _id: `d-${i}` }, { $set: { x: i } }))).toFixed(1),
        insertOneMs: (await time((i) => col.insertOne({ _id: `new-${i}` }))).toFixed(1),
        // What the relay used to claim and re-read a batch with: FerretDB cannot use the _id index for $in.
        findIdIn50Ms: (await time((r) => col.find({ _id: { $in: Array.from({ length: 50 }, (_, i) => `d-${r * 50 + i}`) } }).toArray(), 3)).toFixed(1),
        updateManyIdIn50Ms: (
          await time((r) => col.updateMany({ _id: { $in: Array.from({ length: 50 }, (_, i) => `d-${r * 50 + i}`) } }, { $set: { y: r } }), 3)
        ).toFixed(1),
      });
    }
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await mongo.close();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await dbCosts());
