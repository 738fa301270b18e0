import { collectionOf } from './db-command-metrics';

describe('mfa_db_commands_total labels', () => {
  it('names the collection a command targets, the cursor’s for getMore, and none for database commands', () => {
    expect(collectionOf('find', { find: 'user_mfa', filter: { _id: 'u-1' } })).toBe('user_mfa');
    expect(collectionOf('update', { update: 'org_policies', updates: [] })).toBe('org_policies');
    expect(collectionOf('findAndModify', { findAndModify: 'rate_limits' })).toBe('rate_limits');
    expect(collectionOf('getMore', { getMore: 123n, collection: 'event_log' })).toBe('event_log');
    expect(collectionOf('aggregate', { aggregate: 1, pipeline: [] })).toBe('');
    expect(collectionOf('ping', { ping: 1 })).toBe('');
    expect(collectionOf('endSessions', { endSessions: [] })).toBe('');
  });
});
