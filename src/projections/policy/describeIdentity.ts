import { RESERVED_IDENTITY } from '../../maps/model.js';
import type { PolicyFoldState } from './policyState.js';

const RESERVED_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(RESERVED_IDENTITY).map(([name, id]) => [id, `reserved:${name}`]),
);

/**
 * What an identity number stands for, for debugging tools ("why is this packet dropped?"):
 * the sorted labels of a label identity, `cidr:<prefix>` for a CIDR identity, `reserved:<name>`,
 * or null for a number the fold has not allocated (or has freed).
 */
export function describeIdentity(state: PolicyFoldState, id: number): readonly string[] | null {
  const reserved = RESERVED_NAMES.get(id);
  if (reserved !== undefined) return [reserved];
  const labels = state.identitiesById.get(id);
  if (labels !== undefined) return JSON.parse(labels.key) as string[];
  const cidr = state.cidrsById.get(id);
  if (cidr !== undefined) return [`cidr:${cidr.text}`];
  return null;
}
