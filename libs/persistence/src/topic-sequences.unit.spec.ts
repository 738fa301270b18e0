import { nextTopicSequences } from './topic-sequences';

const USER = 'mfa.user-mfa.v1';
const DELIVERY = 'mfa.delivery.v1';

describe('per-topic sequences', () => {
  it('given a new aggregate, when events of two topics interleave, then each topic counts 1, 2, 3 without gaps', () => {
    const { sequences, counters } = nextTopicSequences({ lastSequence: 0, topicSequences: {} }, [USER, DELIVERY, USER, DELIVERY, USER]);
    expect(sequences).toEqual([1, 1, 2, 2, 3]);
    expect(counters).toEqual({ 'mfa_user-mfa_v1': 3, mfa_delivery_v1: 2 });
  });

  it('given stored counters, when the next write appends, then it continues each topic from its own counter', () => {
    const { sequences } = nextTopicSequences({ lastSequence: 5, topicSequences: { 'mfa_user-mfa_v1': 3, mfa_delivery_v1: 2 } }, [DELIVERY, USER]);
    expect(sequences).toEqual([3, 4]);
  });

  it('given a document written before per-topic counters, when it is written again, then every topic continues from lastSequence (never backwards)', () => {
    const first = nextTopicSequences({ lastSequence: 7 }, [DELIVERY]);
    expect(first.sequences).toEqual([8]);
    const second = nextTopicSequences({ lastSequence: 8, topicSequences: first.counters }, [USER, DELIVERY]);
    expect(second.sequences).toEqual([8, 9]);
  });

  it('given no events, then no counter moves', () => {
    expect(nextTopicSequences({ lastSequence: 2, topicSequences: { mfa_delivery_v1: 1 } }, [])).toEqual({ sequences: [], counters: { mfa_delivery_v1: 1 } });
  });
});
