/** Topic names are part of the public contract: a breaking schema change gets a new `.vN` topic. */
export const Topics = {
  orgPolicy: 'mfa.org-policy.v1',
  userMfa: 'mfa.user-mfa.v1',
  delivery: 'mfa.delivery.v1',
  membership: 'identity.membership.v1',
} as const;

export type PublishedTopic = (typeof Topics)['orgPolicy' | 'userMfa' | 'delivery'];

export const PUBLISHED_TOPICS: PublishedTopic[] = [Topics.orgPolicy, Topics.userMfa, Topics.delivery];

/** Where a consumer parks records it cannot process, with the reason in a header. */
export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;
