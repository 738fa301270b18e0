/**
 * Per-topic sequences (events contract: "sequences per topic"). `lastSequence` orders an
 * aggregate's outbox across all its topics (the relay drains by it); what a consumer sees as
 * `sequence` is counted per topic, so the records of one key on one topic have no gaps even
 * when the aggregate also publishes elsewhere (a user's delivery events).
 *
 * Counters live in the aggregate document as `topicSequences: {<topic with dots as _>: n}`.
 * A document written before they existed has none: each topic then continues from
 * `lastSequence`, so no consumer ever sees a sequence go backwards.
 */
export type TopicSequences = Record<string, number>;

export const topicSequenceField = (topic: string): string => topic.replace(/\./g, '_');

export interface SequencedRead {
  lastSequence: number;
  /** As read from the document (undefined: written before per-topic counters existed). */
  topicSequences?: TopicSequences;
}

/** Where a topic without its own counter yet starts: 0, or `lastSequence` for a legacy document. */
const BASE = '_base';

/** Assigns the next per-topic sequence to each of `topics` (in order) and returns the updated counters. */
export function nextTopicSequences(read: SequencedRead, topics: string[]): { sequences: number[]; counters: TopicSequences } {
  const counters: TopicSequences = read.topicSequences ? { ...read.topicSequences } : { [BASE]: read.lastSequence };
  const sequences = topics.map((topic) => {
    const field = topicSequenceField(topic);
    const next = (counters[field] ?? counters[BASE] ?? 0) + 1;
    counters[field] = next;
    return next;
  });
  return { sequences, counters };
}
