import { DEFAULT_BATCH_SIZE, ReplayOptions } from './replay-options';
import {
  afterPosition,
  describeSelection,
  isReplayable,
  NON_REPLAYABLE_TYPES,
  pageQuery,
  remainingFilter,
  REPLAY_SORT,
  sameSelection,
  selectedTopics,
  selectionFilter,
  selectionOf,
} from './replay-selection';

const base: ReplayOptions = { all: false, dryRun: false, restart: false, batchSize: DEFAULT_BATCH_SIZE };

describe('selectionOf / sameSelection', () => {
  it('keeps only what selects, in canonical form', () => {
    expect(selectionOf({ ...base, all: true, dryRun: true, toTopic: 't', job: 'j' })).toEqual({});
    expect(
      selectionOf({
        ...base,
        from: new Date('2025-01-01T00:00:00Z'),
        to: new Date('2025-02-01T00:00:00Z'),
        types: ['OrgMfaEnforced', 'MfaReset', 'MfaReset'],
        orgId: 'o',
        userId: 'u',
        ids: ['b', 'a'],
      }),
    ).toEqual({
      from: '2025-01-01T00:00:00.000Z',
      to: '2025-02-01T00:00:00.000Z',
      types: ['MfaReset', 'OrgMfaEnforced'],
      orgId: 'o',
      userId: 'u',
      ids: ['a', 'b'],
    });
  });

  it('compares selections regardless of list order and key order, but not of content', () => {
    expect(sameSelection({ types: ['MfaReset', 'OrgMfaEnforced'], orgId: 'o' }, { orgId: 'o', types: ['OrgMfaEnforced', 'MfaReset'] })).toBe(true);
    expect(sameSelection({}, {})).toBe(true);
    expect(sameSelection({ orgId: 'o' }, { userId: 'o' })).toBe(false);
    expect(sameSelection({ from: '2025-01-01T00:00:00.000Z' }, {})).toBe(false);
    expect(sameSelection({ ids: ['a'] }, { ids: ['a', 'b'] })).toBe(false);
  });
});

describe('selectionFilter', () => {
  it('always excludes delivery events, by flag and by type', () => {
    expect(NON_REPLAYABLE_TYPES).toEqual(['MagicLinkRequested']);
    expect(selectionFilter({})).toEqual({ replayable: { $ne: false }, type: { $nin: ['MagicLinkRequested'] } });
  });

  it('combines every criterion with AND, the time range half-open', () => {
    expect(
      selectionFilter({
        from: '2025-01-01T00:00:00.000Z',
        to: '2025-02-01T00:00:00.000Z',
        types: ['MfaReset'],
        orgId: 'o',
        userId: 'u',
        ids: ['a', 'b'],
      }),
    ).toEqual({
      replayable: { $ne: false },
      type: { $in: ['MfaReset'] },
      time: { $gte: new Date('2025-01-01T00:00:00.000Z'), $lt: new Date('2025-02-01T00:00:00.000Z') },
      orgId: 'o',
      userId: 'u',
      _id: { $in: ['a', 'b'] },
    });
    expect(selectionFilter({ to: '2025-02-01T00:00:00.000Z' }).time).toEqual({ $lt: new Date('2025-02-01T00:00:00.000Z') });
  });

  it('drops a delivery type even if one slipped into a stored selection', () => {
    expect(selectionFilter({ types: ['MfaReset', 'MagicLinkRequested'] }).type).toEqual({ $in: ['MfaReset'] });
  });
});

describe('afterPosition / remainingFilter', () => {
  const position = { time: new Date('2025-01-01T00:00:00Z'), sequence: 3, id: 'x' };

  it('continues strictly after the checkpoint in (time, sequence, id) order', () => {
    expect(afterPosition(position)).toEqual({
      $or: [{ time: { $gt: position.time } }, { time: position.time, sequence: { $gt: 3 } }, { time: position.time, sequence: 3, _id: { $gt: 'x' } }],
    });
  });

  it('is the selection alone without a checkpoint', () => {
    expect(remainingFilter({ orgId: 'o' }, null)).toEqual(selectionFilter({ orgId: 'o' }));
    expect(remainingFilter({ orgId: 'o' }, position)).toEqual({ $and: [selectionFilter({ orgId: 'o' }), afterPosition(position)] });
  });
});

describe('remainingFilter after a cursor id', () => {
  it('is an _id range after the cursor, merged with an --ids selection and a legacy position', () => {
    expect(remainingFilter({ orgId: 'o' }, null, 'id-5')).toEqual({ ...selectionFilter({ orgId: 'o' }), _id: { $gt: 'id-5' } });
    expect(remainingFilter({ ids: ['a', 'z'] }, null, 'm')._id).toEqual({ $in: ['a', 'z'], $gt: 'm' });
    const position = { time: new Date('2025-01-01T00:00:00Z'), sequence: 3, id: 'x' };
    expect(remainingFilter({}, position, 'y')).toEqual({ $and: [{ ...selectionFilter({}), _id: { $gt: 'y' } }, afterPosition(position)] });
  });

  it('reads in _id order', () => {
    expect(REPLAY_SORT).toEqual({ _id: 1 });
  });
});

describe('pageQuery / isReplayable', () => {
  it('reads the whole log by _id alone (strings only from the start), the reader dropping what the selection filter would', () => {
    expect(pageQuery({}, null, null)).toEqual({ filter: { _id: { $gte: '' } }, idOnly: true });
    expect(pageQuery({}, null, 'id-9')).toEqual({ filter: { _id: { $gt: 'id-9' } }, idOnly: true });
    expect(isReplayable({ type: 'OrgMfaEnforced', replayable: true })).toBe(true);
    expect(isReplayable({ type: 'OrgMfaEnforced' })).toBe(true);
    expect(isReplayable({ type: 'OrgMfaEnforced', replayable: false })).toBe(false);
    for (const type of NON_REPLAYABLE_TYPES) {
      expect(isReplayable({ type, replayable: true })).toBe(false);
      expect(isReplayable({ type })).toBe(false);
    }
  });

  it('keeps any other selection, and a legacy position, on the database', () => {
    const position = { time: new Date('2025-01-01T00:00:00Z'), sequence: 3, id: 'id-3' };
    for (const selection of [
      { orgId: 'o' },
      { userId: 'u' },
      { types: ['MfaReset' as const] },
      { from: '2025-01-01T00:00:00.000Z' },
      { to: '2025-01-01T00:00:00.000Z' },
      { ids: ['a'] },
    ]) {
      expect(pageQuery(selection, null, 'id-9')).toEqual({ filter: remainingFilter(selection, null, 'id-9'), idOnly: false });
    }
    expect(pageQuery({}, position, 'id-9')).toEqual({ filter: remainingFilter({}, position, 'id-9'), idOnly: false });
  });
});

describe('selectedTopics', () => {
  it('is the original topics of the selected replayable types', () => {
    expect(selectedTopics({})).toEqual(['mfa.org-policy.v1', 'mfa.user-mfa.v1']);
    expect(selectedTopics({ types: ['MfaReset'] })).toEqual(['mfa.user-mfa.v1']);
    expect(selectedTopics({ types: ['MagicLinkRequested'] })).toEqual([]);
  });
});

describe('describeSelection', () => {
  it('names each criterion', () => {
    expect(describeSelection({})).toBe('the whole event log');
    expect(describeSelection({ types: ['MfaReset'], orgId: 'o', userId: 'u', from: '2025-01-01T00:00:00.000Z', ids: ['a'] })).toBe(
      'type MfaReset, org o, user u, time [2025-01-01T00:00:00.000Z, +∞), 1 id',
    );
  });
});
