import { MAINTENANCE_TIMEOUT } from './operation-timeouts';
import type { Db } from 'mongodb';

/**
 * A declared index. The name is part of the definition: change the keys or options and give it a
 * new name (bump the `_vN` suffix); start-up creates the new one and drops the old.
 */
export interface IndexSpec {
  name: string;
  key: Record<string, 1 | -1>;
  unique?: boolean;
  /** Only documents that have the first key: `{field: {$exists: true}}` is then served by the index. */
  sparse?: boolean;
  /** Fields of the key that hold arrays (multikey): the index cannot provide a sort on them. */
  multikey?: string[];
  /**
   * TTL (single date field): MongoDB deletes a document this long after that date; documents
   * without the field are kept. Where the database has no TTL (FerretDB) the index is created
   * without it and ensureIndexes reports it, for a sweep to do the deleting.
   */
  expireAfterSeconds?: number;
}

/** A TTL the database could not take: what a sweep must delete instead. */
export interface TtlFallback {
  collection: string;
  field: string;
  expireAfterSeconds: number;
}

/** Collection name → its declared indexes (besides `_id_`). */
export type IndexCatalogue = Record<string, IndexSpec[]>;

/** An index could not be created because a different definition exists (MongoDB 85 / 86). */
export class IndexDefinitionError extends Error {
  constructor(collection: string, index: string, detail: string) {
    super(`index ${index} on ${collection} conflicts with an existing index: ${detail} (give the changed definition a new name)`);
    this.name = 'IndexDefinitionError';
  }
}

const NAMESPACE_NOT_FOUND = 26;
const INDEX_NOT_FOUND = 27;
const INDEX_OPTIONS_CONFLICT = 85;
const INDEX_KEY_SPECS_CONFLICT = 86;

const codeOf = (error: unknown): number | undefined => (error as { code?: number }).code;

interface ExistingIndex {
  name: string;
  key: Record<string, unknown>;
  unique?: boolean;
  expireAfterSeconds?: number;
}

const NOT_IMPLEMENTED = 238;

const sameKey = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  JSON.stringify(Object.entries(a).map(([k, v]) => [k, Number(v)])) === JSON.stringify(Object.entries(b).map(([k, v]) => [k, Number(v)]));

/**
 * Makes each collection's indexes exactly the declared ones: drops indexes that are not declared
 * (older definitions, left by a previous version), then creates the declared ones by name.
 * Dropping first frees an old index with the same keys, which would otherwise conflict (85).
 */
export async function ensureIndexes(db: Db, catalogue: IndexCatalogue): Promise<{ created: string[]; dropped: string[]; ttlFallbacks: TtlFallback[] }> {
  // First read everything and refuse a same-name conflict before changing anything.
  const existingBy = new Map<string, ExistingIndex[]>();
  for (const [collectionName, specs] of Object.entries(catalogue)) {
    let existing: ExistingIndex[] = [];
    try {
      existing = (await db.collection(collectionName).listIndexes(MAINTENANCE_TIMEOUT).toArray()) as ExistingIndex[];
    } catch (error) {
      if (codeOf(error) !== NAMESPACE_NOT_FOUND) throw error;
    }
    for (const spec of specs) {
      const same = existing.find((e) => e.name === spec.name);
      // Same name, other definition: someone changed a declaration without renaming it.
      if (same && (!sameKey(same.key, spec.key) || Boolean(same.unique) !== Boolean(spec.unique))) {
        const describe = (key: object, unique?: boolean) => `${JSON.stringify(key)}${unique ? ' (unique)' : ''}`;
        throw new IndexDefinitionError(
          collectionName,
          spec.name,
          `it exists with key ${describe(same.key, same.unique)}, declared ${describe(spec.key, spec.unique)}`,
        );
      }
    }
    existingBy.set(collectionName, existing);
  }

  const created: string[] = [];
  const dropped: string[] = [];
  const ttlFallbacks: TtlFallback[] = [];
  const fallback = (collection: string, spec: IndexSpec) =>
    ttlFallbacks.push({ collection, field: Object.keys(spec.key)[0], expireAfterSeconds: spec.expireAfterSeconds! });
  for (const [collectionName, specs] of Object.entries(catalogue)) {
    const collection = db.collection(collectionName);
    const existing = existingBy.get(collectionName) ?? [];
    const declared = new Set(specs.map((s) => s.name));
    for (const { name } of existing) {
      if (name === '_id_' || declared.has(name)) continue;
      try {
        await collection.dropIndex(name, MAINTENANCE_TIMEOUT);
        dropped.push(`${collectionName}.${name}`);
      } catch (error) {
        // Another instance starting at the same time dropped it first.
        if (codeOf(error) !== INDEX_NOT_FOUND) throw error;
      }
    }
    for (const spec of specs) {
      const same = existing.find((e) => e.name === spec.name);
      if (same) {
        // Created earlier on a database without TTL: still swept.
        if (spec.expireAfterSeconds !== undefined && same.expireAfterSeconds === undefined) fallback(collectionName, spec);
        continue;
      }
      const options = { ...MAINTENANCE_TIMEOUT, name: spec.name, ...(spec.unique ? { unique: true } : {}), ...(spec.sparse ? { sparse: true } : {}) };
      try {
        try {
          await collection.createIndex(spec.key, {
            ...options,
            ...(spec.expireAfterSeconds !== undefined ? { expireAfterSeconds: spec.expireAfterSeconds } : {}),
          });
        } catch (error) {
          if (spec.expireAfterSeconds === undefined || codeOf(error) !== NOT_IMPLEMENTED) throw error;
          await collection.createIndex(spec.key, options);
          fallback(collectionName, spec);
        }
        created.push(`${collectionName}.${spec.name}`);
      } catch (error) {
        const code = codeOf(error);
        if (code === INDEX_OPTIONS_CONFLICT || code === INDEX_KEY_SPECS_CONFLICT) {
          const codeName = code === INDEX_OPTIONS_CONFLICT ? 'IndexOptionsConflict (85)' : 'IndexKeySpecsConflict (86)';
          throw new IndexDefinitionError(collectionName, spec.name, `${codeName}: ${(error as Error).message}`);
        }
        throw error;
      }
    }
  }
  return { created, dropped, ttlFallbacks };
}
