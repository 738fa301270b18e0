import { checkCoverage, describeShape, indexServes, QueryShape, shapeOfCommand } from './index-coverage';
import type { IndexCatalogue, IndexSpec } from './indexes';

const shape = (commandName: string, command: Record<string, unknown>): QueryShape => shapeOfCommand(commandName, command)!;
const served = (index: IndexSpec, s: QueryShape) => s.branches.every((b) => indexServes(index, b, s.sort));

describe('index coverage by MongoDB planner rules', () => {
  const orgUser: IndexSpec = { name: 'orgId_userId_v1', key: { orgId: 1, userId: 1 } };
  const statusCreated: IndexSpec = { name: 'status_createdAt_v1', key: { status: 1, createdAt: 1 } };
  const pending: IndexSpec = { name: 'p', key: { outboxSince: 1 } };
  const pendingSparse: IndexSpec = { ...pending, sparse: true };

  it('reads the filter and sort of find, count, aggregate ($match first), update, delete and findAndModify', () => {
    expect(describeShape(shape('find', { find: 'c', filter: { a: 1, b: { $gt: 2 } }, sort: { b: -1 } }))).toBe('{a:eq,b:range} sort {b:-1}');
    expect(describeShape(shape('count', { count: 'c', query: { a: { $in: [1, 2] } } }))).toBe('{a:eq}');
    expect(describeShape(shape('aggregate', { aggregate: 'c', pipeline: [{ $match: { a: 1 } }, { $group: { _id: 1 } }] }))).toBe('{a:eq}');
    expect(describeShape(shape('update', { update: 'c', updates: [{ q: { _id: 'x', v: 3 }, u: {} }] }))).toBe('{_id:eq,v:eq}');
    expect(describeShape(shape('delete', { delete: 'c', deletes: [{ q: { at: { $lt: new Date() } } }] }))).toBe('{at:range}');
    expect(
      describeShape(shape('findAndModify', { findAndModify: 'c', query: { s: 'r', $or: [{ l: { $exists: false } }, { l: { $lt: 1 } }] }, sort: { t: 1 } })),
    ).toBe('{l:not-exists,s:eq | l:range,s:eq} sort {t:1}');
    expect(shapeOfCommand('insert', { insert: 'c', documents: [] })).toBeNull();
  });

  it('equality prefix then sort on the next key is served; a sort the index cannot give is not', () => {
    expect(served(statusCreated, shape('find', { find: 'j', filter: { status: 'running' }, sort: { createdAt: 1 } }))).toBe(true);
    expect(served(statusCreated, shape('find', { find: 'j', filter: { status: 'running' }, sort: { createdAt: -1 } }))).toBe(true); // reversed scan
    expect(served(statusCreated, shape('find', { find: 'j', filter: { status: 'running' }, sort: { updatedAt: 1 } }))).toBe(false);
    expect(served(orgUser, shape('find', { find: 'm', filter: { orgId: 'o' }, sort: { userId: 1, orgId: -1 } }))).toBe(true);
    expect(served({ name: 'ab', key: { a: 1, b: -1 } }, shape('find', { find: 'x', filter: { a: { $gt: 1 } }, sort: { a: 1, b: 1 } }))).toBe(false); // mixed directions
  });

  it('an unbounded leading key is a scan: not served (negations, missing prefix, empty filter)', () => {
    expect(served(orgUser, shape('find', { find: 'm', filter: { userId: 'u' } }))).toBe(false);
    expect(served(orgUser, shape('find', { find: 'm', filter: { orgId: { $ne: 'o' } } }))).toBe(false);
    expect(served(orgUser, shape('find', { find: 'm', filter: { orgId: { $nin: ['o'] } } }))).toBe(false);
    expect(served(orgUser, shape('find', { find: 'm', filter: {} }))).toBe(false);
  });

  it('$exists: true is served by a sparse index only (a non-sparse one indexes missing fields as null)', () => {
    const poll = shape('find', { find: 'u', filter: { outboxSince: { $exists: true }, _id: { $nin: ['a'] } }, sort: { outboxSince: 1 } });
    expect(served(pending, poll)).toBe(false);
    expect(served(pendingSparse, poll)).toBe(true);
  });

  it('a multikey field cannot give a sort', () => {
    const hashes: IndexSpec = { name: 'h', key: { hashes: 1 }, multikey: ['hashes'] };
    expect(served(hashes, shape('find', { find: 'u', filter: { hashes: 'x' } }))).toBe(true);
    expect(served(hashes, shape('find', { find: 'u', filter: { hashes: { $gt: 'a' } }, sort: { hashes: 1 } }))).toBe(false);
  });

  it('$or is served only when every branch is', () => {
    const catalogue: IndexCatalogue = { m: [orgUser] };
    const both = shape('find', { find: 'm', filter: { $or: [{ orgId: 'a' }, { _id: 'x' }] } });
    const one = shape('find', { find: 'm', filter: { $or: [{ orgId: 'a' }, { userId: 'u' }] } });
    expect(checkCoverage([both], catalogue, []).unserved).toEqual([]);
    expect(checkCoverage([one], catalogue, []).unserved).toEqual(['m {orgId:eq | userId:eq}']);
  });

  it('checkCoverage: _id has its own index; unserved shapes fail unless allow-listed', () => {
    const byId = shape('find', { find: 'x', filter: { _id: { $gt: 'a' } }, sort: { _id: 1 } });
    const scan = shape('count', { count: 'x', query: {} });
    expect(checkCoverage([byId, scan, scan], {}, [])).toEqual({ served: 1, allowed: [], unserved: ['x {}'] });
    expect(checkCoverage([scan], {}, [{ collection: 'x', shape: '{}', reason: 'r', bound: 'b' }])).toEqual({ served: 0, allowed: ['x {}'], unserved: [] });
  });
});
