import { setTimeout as sleep } from 'node:timers/promises';
import type { IKeyValue, Watcher } from 'etcd3';
import { Observable } from 'rxjs';
import { type BackoffPolicy, backoffDelay } from './backoff.js';
import type { Position, StoredEvent } from './envelope.js';
import { isLogCompactedError, LogCompactedError } from './errors.js';
import type { EtcdEventLog } from './etcdEventLog.js';
import { LOG_KEYS, positionOfSegmentKey } from './logKeys.js';
import { segmentEvents } from './segmentEvents.js';

/** The watch saw a segment past the next expected position: something was missed, re-read. */
class TailGapError extends Error {
  override readonly name = 'TailGapError';
}

/**
 * Follows the log from `from`: reads up to the head at some etcd revision R, then watches the
 * segment keys from R + 1. On any failure (etcd restarted, connection lost, watch compacted,
 * a gap) it starts over from the next position it owes, so nothing is lost or repeated.
 */
export function tailEtcdLog(
  log: EtcdEventLog,
  from: Position,
  backoff: BackoffPolicy,
): Observable<StoredEvent> {
  return new Observable<StoredEvent>((subscriber) => {
    let next = from;
    let stopped = false;
    let stopWatch: (() => void) | undefined;

    const emit = (event: StoredEvent) => {
      if (stopped || event.position < next) return;
      subscriber.next(event);
      next = event.position + 1n;
    };

    const watchFrom = (revision: bigint) =>
      new Promise<void>((resolve, reject) => {
        let watcher: Watcher | undefined;
        let chain: Promise<void> = Promise.resolve();
        let undecodableAt: Position | undefined;
        const fail = (error: unknown) => {
          watcher?.removeAllListeners();
          watcher?.cancel().catch(() => undefined);
          reject(error);
        };
        stopWatch = () => {
          watcher?.removeAllListeners();
          watcher?.cancel().catch(() => undefined);
          resolve();
        };
        const onSegment = async (kv: IKeyValue) => {
          const key = kv.key.toString();
          const first = positionOfSegmentKey(key.startsWith(log.prefix) ? key.slice(log.prefix.length) : key);
          if (first === undefined || stopped) return;
          if (first > next) {
            // A segment we could not decode spans the positions up to this one.
            if (undecodableAt === next) next = first;
            else throw new TailGapError(`watch jumped from ${next} to ${first}`);
          }
          const events = await segmentEvents(log.codec, key, first, kv.value, log.skipped);
          if (events.length === 0) undecodableAt = first;
          for (const event of events) emit(event);
        };
        log.etcd
          .watch()
          .prefix(LOG_KEYS.logPrefix)
          .startRevision(revision.toString())
          .create()
          .then((created) => {
            watcher = created;
            if (stopped) return stopWatch?.();
            created.on('put', (kv) => {
              chain = chain.then(() => onSegment(kv)).catch(fail);
            });
            created.on('error', fail);
            created.on('disconnected', fail);
          }, fail);
      });

    const follow = async () => {
      let failures = 0;
      while (!stopped) {
        try {
          const firstReadable = await log.firstPosition();
          if (next < firstReadable) throw new LogCompactedError(next, firstReadable);
          const { position: end, revision } = await log.headAtRevision();
          for await (const event of log.read(next, end)) {
            if (stopped) return;
            emit(event);
          }
          if (end >= next) next = end + 1n;
          failures = 0;
          await watchFrom(BigInt(revision) + 1n);
        } catch (error) {
          if (stopped) return;
          if (isLogCompactedError(error)) {
            subscriber.error(error);
            return;
          }
          await sleep(backoffDelay(backoff, Math.min(failures++, 10)));
        }
      }
    };

    void follow();
    return () => {
      stopped = true;
      stopWatch?.();
    };
  });
}
