/**
 * Every database operation is bounded by the client's `timeoutMS` (MONGO_OPERATION_TIMEOUT_MS), so
 * a stalled database answers a request with a quick 503. Start-up and background work (index
 * creation, enforcement pages, the outbox sweep) may legitimately queue behind a busy database or
 * read a large page for longer; it gets this bound instead, so a busy restart does not fail.
 */
export const MAINTENANCE_TIMEOUT = { timeoutMS: 120_000 } as const;
