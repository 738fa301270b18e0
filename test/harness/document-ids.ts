import type { MongoClient } from 'mongodb';

/** The sorted `_id`s of a collection, as strings: what retention and cleanup tests compare. */
export async function documentIds(mongo: MongoClient, dbName: string, collection: string): Promise<string[]> {
  const docs = await mongo
    .db(dbName)
    .collection(collection)
    .find({}, { projection: { _id: 1 } })
    .toArray();
  return docs.map((d) => String(d._id)).sort();
}
