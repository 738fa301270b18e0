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

/** Where a replay stands: the last event published, in replay order. */
export interface ReplayPosition {
  time: Date;
  sequence: number;
  id: string;
}

/**
 * Replay order. Time first (the log's order), then sequence so one aggregate's events keep
 * their order even when they share a millisecond, then the id to make the order total.
 */
export const REPLAY_SORT = { time: 1, sequence: 1, _id: 1 } as const;

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

/** What is left of a selection after a checkpoint (or all of it when there is none). */
export function remainingFilter(selection: ReplaySelection, position: ReplayPosition | null): Document {
  const base = selectionFilter(selection);
  return position ? { $and: [base, afterPosition(position)] } : base;
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
