import type { MapFold, ProjectionOptions } from './fold.js';
import { NodeProjection } from './nodeProjection.js';
import { policyFold } from './policy/policyFold.js';
import { servicesFold } from './services/servicesFold.js';

/** Every fold of a node, in a fixed order; together they own every map of `MAP_NAMES`. */
export const NODE_FOLDS: readonly MapFold<unknown>[] = [servicesFold, policyFold];

/** The complete projection of the log onto one node's maps (services and policy). */
export function nodeProjection(node: string, options: ProjectionOptions = {}): NodeProjection {
  return new NodeProjection(node, NODE_FOLDS, options);
}
