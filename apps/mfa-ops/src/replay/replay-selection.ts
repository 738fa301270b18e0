import { EVENT_CATALOGUE, EventType } from '@mfa/contracts';
import type { Document } from 'mongodb';
import type { ReplayOptions } from './replay-options';

/**
 * What a replay selects, in a canonical form (ISO strings, sorted lists, absent = any) so
 * it can be stored with a job and compared with the selection of a later run.
 */
export interface ReplaySelection {
  from?: string;
  to?: string;
  types?: EventType[];
  orgId?: string;
  userId?: string;
  ids?: string[];
}

/**
 * The checkpoint of jobs started before replays paged by id: the last event published in
 * (time, sequence, id) order. Such a job resumes with "after this position" as a fixed part
 * of its filter (`remainingFilter`), then checkpoints a `ReplayCursor` like any other.
 */
export interface ReplayPosition {
  time: Date;
  sequence: number;
  id: string;
}

/**
 * Where a replay stands: every selected event with `_id <= after` was published except
 * `behind` (waiting for an earlier sequence of their key, whose id is larger) and `unsent`
 * (released in this order but not yet in an acknowledged batch). Both are short: they come
 * from ids out of sequence order (clock skew) and from the batch being cut.
 */
export interface ReplayCursor {
  after: string | null;
  behind: string[];
  unsent: string[];
}

export const START: ReplayCursor = { after: null, behind: [], unsent: [] };

/**
 * Reading order: event ids are UUIDv7 (creation time, then a per-process counter), so each page
 * is one range of the `_id` index on any MongoDB-protocol database. The replayer restores
 * each key's `sequence` order on top of it (replayer.ts).
 */
export const REPLAY_SORT = { _id: 1 } as const;

export const NON_REPLAYABLE_TYPES: EventType[] = (Object.keys(EVENT_CATALOGUE) as EventType[]).filter((type) => !EVENT_CATALOGUE[type].replayable);

export function selectionOf(options: ReplayOptions): ReplaySelection {
  const selection: ReplaySelection = {};
  if (options.from) selection.from = options.from.toISOString();
  if (options.to) selection.to = options.to.toISOString();
  if (options.types) selection.types = [...new Set(options.types)].sort();
  if (options.orgId !== undefined) selection.orgId = options.orgId;
  if (options.userId !== undefined) selection.userId = options.userId;
  if (options.ids) selection.ids = [...new Set(options.ids)].sort();
  return selection;
}

/** Stable text of a selection (fixed key order), for equality. */
function canonical(selection: ReplaySelection): string {
  return JSON.stringify([
    selection.from ?? null,
    selection.to ?? null,
    selection.types ? [...selection.types].sort() : null,
    selection.orgId ?? null,
    selection.userId ?? null,
    selection.ids ? [...selection.ids].sort() : null,
  ]);
}

export function sameSelection(a: ReplaySelection, b: ReplaySelection): boolean {
  return canonical(a) === canonical(b);
}

/**
 * The event-log filter of a selection. Delivery events are excluded twice: by the flag the
 * relay stores on each event and by type (in case an old document lacks the flag).
 */
export function selectionFilter(selection: ReplaySelection): Document {
  const filter: Document = { replayable: { $ne: false } };
  filter.type = selection.types ? { $in: selection.types.filter((t) => !NON_REPLAYABLE_TYPES.includes(t)) } : { $nin: NON_REPLAYABLE_TYPES };
  if (selection.from || selection.to) {
    const time: Document = {};
    if (selection.from) time.$gte = new Date(selection.from);
    if (selection.to) time.$lt = new Date(selection.to);
    filter.time = time;
  }
  if (selection.orgId !== undefined) filter.orgId = selection.orgId;
  if (selection.userId !== undefined) filter.userId = selection.userId;
  if (selection.ids) filter._id = { $in: selection.ids };
  return filter;
}

/** Events strictly after a position in replay order (keyset over time, sequence, _id). */
export function afterPosition(position: ReplayPosition): Document {
  const { time, sequence, id } = position;
  return {
    $or: [{ time: { $gt: time } }, { time, sequence: { $gt: sequence } }, { time, sequence, _id: { $gt: id } }],
  };
}

/**
 * What is left of a selection: after a legacy position (if the job has one) and after the
 * cursor's id (`_id` range, merged with an `--ids` selection's `$in`).
 */
export function remainingFilter(selection: ReplaySelection, position: ReplayPosition | null, after: string | null = null): Document {
  const base = selectionFilter(selection);
  if (after !== null) base._id = { ...(base._id as Document | undefined), $gt: after };
  return position ? { $and: [base, afterPosition(position)] } : base;
}

/**
 * How one page is read. The whole event log is read by `_id` alone: an exact index range that the
 * database cuts at the page size, FerretDB included (infra/ferretdb/patch-upstream.sh, fix 5: a
 * string `_id` range sorted by `_id` has its limit pushed down only when the filter has nothing
 * else). The reader then drops delivery events itself (`isReplayable`). Any other selection keeps
 * its filter on the database, where it is selective (a page then reads past what it skips).
 */
export interface PageQuery {
  filter: Document;
  /** The filter is the `_id` range alone: the reader must drop what `isReplayable` refuses. */
  idOnly: boolean;
}

export function pageQuery(selection: ReplaySelection, position: ReplayPosition | null, after: string | null): PageQuery {
  const wholeLog =
    selection.from === undefined &&
    selection.to === undefined &&
    selection.types === undefined &&
    selection.orgId === undefined &&
    selection.userId === undefined &&
    selection.ids === undefined;
  if (wholeLog && position === null) return { filter: { _id: after === null ? { $gte: '' } : { $gt: after } }, idOnly: true };
  return { filter: remainingFilter(selection, position, after), idOnly: false };
}

/** What `selectionFilter` keeps of the whole log: every event but delivery events (by flag and by type). */
export function isReplayable(doc: { replayable?: boolean; type: string }): boolean {
  return doc.replayable !== false && !(NON_REPLAYABLE_TYPES as string[]).includes(doc.type);
}

/** The topics a selection's events were published to (each replayable type's own topic). */
export function selectedTopics(selection: ReplaySelection): string[] {
  const types = selection.types ?? (Object.keys(EVENT_CATALOGUE) as EventType[]);
  return [...new Set(types.filter((type) => EVENT_CATALOGUE[type].replayable).map((type) => EVENT_CATALOGUE[type].topic))].sort();
}

export function describeSelection(selection: ReplaySelection): string {
  const parts: string[] = [];
  if (selection.types) parts.push(`type ${selection.types.join('|')}`);
  if (selection.orgId !== undefined) parts.push(`org ${selection.orgId}`);
  if (selection.userId !== undefined) parts.push(`user ${selection.userId}`);
  if (selection.from || selection.to) parts.push(`time [${selection.from ?? '-∞'}, ${selection.to ?? '+∞'})`);
  if (selection.ids) parts.push(`${selection.ids.length} id${selection.ids.length === 1 ? '' : 's'}`);
  return parts.length ? parts.join(', ') : 'the whole event log';
}
