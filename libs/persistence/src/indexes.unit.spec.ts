import type { Db } from 'mongodb';
import { ensureIndexes, IndexDefinitionError } from './indexes';

/** A database whose createIndex fails as MongoDB does for a conflicting definition. */
function dbFailingWith(code: number, message: string): Db {
  const collection = {
    listIndexes: () => ({ toArray: async () => [{ name: '_id_', key: { _id: 1 } }] }),
    dropIndex: async () => undefined,
    createIndex: async () => {
      throw Object.assign(new Error(message), { code, name: 'MongoServerError' });
    },
  };
  return { collection: () => collection } as unknown as Db;
}

describe('ensureIndexes', () => {
  it.each([
    [85, 'IndexOptionsConflict (85)', 'Index already exists with a different name: a_1'],
    [86, 'IndexKeySpecsConflict (86)', 'An existing index has the same name as the requested index'],
  ])('MongoDB %i is reported as an index conflict naming the index, not as a database failure', async (code, codeName, message) => {
    const attempt = ensureIndexes(dbFailingWith(code, message), { things: [{ name: 'a_v1', key: { a: 1 } }] });
    await expect(attempt).rejects.toThrow(IndexDefinitionError);
    await expect(attempt).rejects.toThrow(`index a_v1 on things conflicts with an existing index: ${codeName}: ${message}`);
  });

  it('other errors pass through unchanged', async () => {
    await expect(ensureIndexes(dbFailingWith(13, 'not authorized'), { things: [{ name: 'a_v1', key: { a: 1 } }] })).rejects.toThrow('not authorized');
  });
});
