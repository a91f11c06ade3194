import type { Position, StoredEvent } from '../events/envelope.js';
import type { EventLog, Snapshot } from '../events/eventLog.js';

/** Where projection snapshots are kept: the log's own store, or a directory beside an exported file. */
export interface SnapshotStore {
  save(name: string, position: Position, state: Uint8Array): Promise<void>;
  /** The latest snapshot of that name at or before `atOrBefore`. */
  load(name: string, atOrBefore?: Position): Promise<Snapshot | undefined>;
}

/** The past of a log, wherever it is kept: a live EventLog (etcd, memory) or an exported file. */
export interface History {
  /** Events with from <= position <= to, in order. */
  read(from: Position, to: Position): AsyncIterable<StoredEvent>;
  /** The last position. */
  head(): Promise<Position>;
  /** The first readable position. */
  first(): Promise<Position>;
  readonly snapshots: SnapshotStore;
  /** A name for messages (`etcd`, the file's path). */
  readonly where: string;
}

/** The history of a live log; snapshots live in the log's snapshot store. */
export function logHistory(log: EventLog, where = 'log'): History {
  return {
    read: (from, to) => log.read(from, to),
    head: () => log.head(),
    first: () => log.firstPosition(),
    snapshots: {
      save: (name, position, state) => log.saveSnapshot(name, position, state),
      load: (name, atOrBefore) => log.loadSnapshot(name, atOrBefore),
    },
    where,
  };
}

/** The event at `position`, or undefined past the head. */
export async function eventAt(history: History, position: Position): Promise<StoredEvent | undefined> {
  for await (const event of history.read(position, position)) return event;
  return undefined;
}
