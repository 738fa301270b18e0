import type { IndexCatalogue, IndexSpec } from './indexes';

/**
 * Which queries an index serves, by MongoDB's planner rules, checked against the commands the
 * service really sends (driver command monitoring during the e2e suite). FerretDB scans whatever
 * it is given, so only a rule check proves that MongoDB would not.
 *
 * A query is served by an index when
 *  - the index's leading key is bounded: equality / `$in`, a range, or `$exists: true` on a
 *    sparse index (on a non-sparse index missing fields are indexed as null: a full scan);
 *    `$ne`, `$nin`, `$not`, `$regex` (unanchored) and `$exists: false` bound nothing;
 *  - and, if the query sorts, the index provides the order: after the equality prefix, the sort
 *    keys are the next index keys in order, all in the index's direction or all reversed, and
 *    none of them is multikey (an array field cannot give a sort).
 * `$or` is served when every branch (with the shared conditions) is. `_id` has its own index.
 */
export type PredicateKind = 'eq' | 'range' | 'exists' | 'not-exists' | 'negation';

export interface QueryShape {
  collection: string;
  /** One entry per `$or` branch (a single one without `$or`): field → how it is constrained. */
  branches: Array<Record<string, PredicateKind>>;
  sort: Array<[string, 1 | -1]>;
}

type Doc = Record<string, unknown>;

const isPlainObject = (value: unknown): value is Doc =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !('_bsontype' in (value as Doc));

function kindOf(condition: unknown): PredicateKind {
  if (!isPlainObject(condition)) return 'eq';
  const operators = Object.keys(condition);
  if (operators.length === 0 || !operators.every((op) => op.startsWith('$'))) return 'eq';
  const kinds = operators.map((op): PredicateKind => {
    switch (op) {
      case '$eq':
      case '$in':
        return 'eq';
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        return 'range';
      case '$exists':
        return condition[op] ? 'exists' : 'not-exists';
      case '$regex':
        return typeof condition[op] === 'string' && (condition[op] as string).startsWith('^') ? 'range' : 'negation';
      default:
        // $ne, $nin, $not, $elemMatch, $size, ... : nothing an index bound can use.
        return 'negation';
    }
  });
  for (const best of ['eq', 'range', 'exists', 'not-exists'] as const) if (kinds.includes(best)) return best;
  return 'negation';
}

function flatten(filter: Doc): Array<Record<string, PredicateKind>> {
  const common: Record<string, PredicateKind> = {};
  let branches: Array<Record<string, PredicateKind>> = [{}];
  for (const [field, condition] of Object.entries(filter)) {
    if (field === '$and' && Array.isArray(condition)) {
      const parts = condition.map((part) => flatten(part as Doc));
      for (const part of parts) branches = branches.flatMap((b) => part.map((p) => ({ ...b, ...p })));
    } else if ((field === '$or' || field === '$nor') && Array.isArray(condition)) {
      if (field === '$nor') continue; // bounds nothing
      const alternatives = condition.flatMap((part) => flatten(part as Doc));
      branches = branches.flatMap((b) => alternatives.map((alt) => ({ ...b, ...alt })));
    } else if (!field.startsWith('$')) {
      common[field] = kindOf(condition);
    }
  }
  return branches.map((b) => ({ ...common, ...b }));
}

/** The query shape of one monitored command, or null for commands that select nothing (insert, ping, ...). */
export function shapeOfCommand(commandName: string, command: Doc): QueryShape | null {
  const collection = command[commandName];
  if (typeof collection !== 'string') return null;
  const sortOf = (sort: unknown): Array<[string, 1 | -1]> =>
    isPlainObject(sort) ? Object.entries(sort).map(([field, dir]) => [field, Number(dir) < 0 ? -1 : 1]) : [];
  const shape = (filter: unknown, sort?: unknown): QueryShape => ({
    collection,
    branches: flatten(isPlainObject(filter) ? filter : {}),
    sort: sortOf(sort),
  });
  switch (commandName) {
    case 'find':
      return shape(command.filter, command.sort);
    case 'count':
    case 'distinct':
      return shape(command.query);
    case 'findAndModify':
      return shape(command.query, command.sort);
    case 'update':
      return shape(((command.updates as Doc[] | undefined) ?? [])[0]?.q);
    case 'delete':
      return shape(((command.deletes as Doc[] | undefined) ?? [])[0]?.q);
    case 'aggregate': {
      const pipeline = (command.pipeline as Doc[] | undefined) ?? [];
      const match = pipeline[0]?.$match;
      const sort = pipeline.find((stage) => '$sort' in stage)?.$sort;
      return shape(match, match === undefined ? undefined : sort);
    }
    default:
      return null;
  }
}

const ID_INDEX: IndexSpec = { name: '_id_', key: { _id: 1 } };

function bounds(kind: PredicateKind | undefined, index: IndexSpec): boolean {
  if (kind === 'eq' || kind === 'range') return true;
  return kind === 'exists' && index.sparse === true;
}

/** Whether `index` serves one branch of a query sorted by `sort` (module comment: the rules). */
export function indexServes(index: IndexSpec, branch: Record<string, PredicateKind>, sort: Array<[string, 1 | -1]>): boolean {
  const keys = Object.entries(index.key);
  if (!bounds(branch[keys[0][0]], index)) return false;
  if (sort.length === 0) return true;
  let position = 0;
  // Equality prefix: these keys have one value each (or a merged $in), so order continues after them.
  while (position < keys.length && branch[keys[position][0]] === 'eq' && keys[position][0] !== sort[0][0]) position += 1;
  const multikey = new Set(index.multikey ?? []);
  let direction: 1 | -1 | 0 = 0;
  for (const [field, dir] of sort) {
    const key = keys[position];
    if (!key || key[0] !== field || multikey.has(field)) {
      // A trailing sort key the index lacks is fine only when an equality fixed it.
      if (branch[field] === 'eq' && !multikey.has(field)) continue;
      return false;
    }
    const relative = dir === key[1] ? 1 : -1;
    if (direction !== 0 && relative !== direction) return false;
    direction = relative;
    position += 1;
  }
  return true;
}

export interface AllowedShape {
  collection: string;
  /** describeShape() of the allowed query. */
  shape: string;
  reason: string;
  /** What keeps it cheap anyway (e.g. "at most 100 documents: one per running job"). */
  bound: string;
}

/** A stable one-line form of a shape, for reports and the allow-list. */
export function describeShape(shape: QueryShape): string {
  const branches = shape.branches.map((b) =>
    Object.entries(b)
      .sort(([a], [b2]) => a.localeCompare(b2))
      .map(([field, kind]) => `${field}:${kind}`)
      .join(','),
  );
  const sort = shape.sort.map(([field, dir]) => `${field}:${dir}`).join(',');
  return `{${branches.join(' | ')}}${sort ? ` sort {${sort}}` : ''}`;
}

export interface CoverageReport {
  served: number;
  allowed: string[];
  unserved: string[];
}

/** Checks every shape against the catalogue; unserved shapes not on the allow-list are reported. */
export function checkCoverage(shapes: QueryShape[], catalogue: IndexCatalogue, allowList: AllowedShape[]): CoverageReport {
  const report: CoverageReport = { served: 0, allowed: [], unserved: [] };
  const seen = new Set<string>();
  for (const shape of shapes) {
    const line = `${shape.collection} ${describeShape(shape)}`;
    if (seen.has(line)) continue;
    seen.add(line);
    const indexes = [ID_INDEX, ...(catalogue[shape.collection] ?? [])];
    const served = shape.branches.every((branch) => indexes.some((index) => indexServes(index, branch, shape.sort)));
    if (served) report.served += 1;
    else if (allowList.some((a) => a.collection === shape.collection && a.shape === describeShape(shape))) report.allowed.push(line);
    else report.unserved.push(line);
  }
  return report;
}
