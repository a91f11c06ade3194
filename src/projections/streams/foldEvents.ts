import { map, type OperatorFunction } from 'rxjs';
import type { StoredEvent } from '../../events/envelope.js';
import type { FoldStep, NodeProjection } from '../nodeProjection.js';

/**
 * Folds each event of the log tail into `projection` and emits what it produced. Never errors
 * because of an event: bad input comes out as `rejected` entries of the step.
 */
export function foldEvents(projection: NodeProjection): OperatorFunction<StoredEvent, FoldStep> {
  return map((event) => projection.apply(event));
}
