import type { Collection, Document, OptionalUnlessRequiredId } from 'mongodb';

/** MongoDB's duplicate-key error (code 11000): someone else created that `_id` (or unique key) first. */
export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

/** A bulk insert that failed only because some documents already existed (every write error is 11000). */
export function isDuplicateKeyOnly(error: unknown): boolean {
  const writeErrors = (error as { writeErrors?: Array<{ code?: number }> } | null)?.writeErrors;
  if (Array.isArray(writeErrors) && writeErrors.length > 0) return writeErrors.every((e) => e.code === 11000);
  return isDuplicateKey(error);
}

/**
 * Inserts documents whose `_id`s may exist already (created by another instance or an earlier,
 * interrupted attempt): those are left as they are, the others are inserted. Idempotent create.
 */
export async function insertMissing<T extends Document>(collection: Collection<T>, docs: Array<OptionalUnlessRequiredId<T>>): Promise<void> {
  if (docs.length === 0) return;
  try {
    await collection.insertMany(docs, { ordered: false });
  } catch (error) {
    if (!isDuplicateKeyOnly(error)) throw error;
  }
}
