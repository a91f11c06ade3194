/**
 * The policy maps with allocated numbers replaced by what they stand for: identities by their
 * label set or CIDR, endpoint ids by the endpoint's key. Two folds of different logs that
 * describe the same objects allocate different numbers but must agree on this form.
 */
import type { DesiredMaps } from '../../../src/maps/delta.js';
import type { PolicyFoldState } from '../../../src/projections/policy/policyState.js';

function identityName(state: PolicyFoldState, id: number): string {
  const labels = state.identitiesById.get(id);
  if (labels !== undefined) return labels.key;
  const cidr = state.cidrsById.get(id);
  if (cidr !== undefined) return `cidr:${cidr.text}`;
  return `reserved:${id}`;
}

/** Sorted lines describing the maps in number-free terms. */
export function normalizedMaps(
  state: PolicyFoldState,
  maps: Pick<DesiredMaps, 'ipcache' | 'policy' | 'endpoints'>,
): string[] {
  const endpointKeys = new Map<number, string>();
  for (const [key, endpoint] of state.endpointsOut) endpointKeys.set(endpoint.endpointId, key);
  const lines: string[] = [];
  for (const { key, value } of maps.ipcache.values()) {
    lines.push(`ipcache ${key.cidr} ${identityName(state, value.identity)}`);
  }
  for (const { key, value } of maps.endpoints.values()) {
    const { endpointId, identity, ...rest } = value;
    lines.push(
      `endpoint ${key.ip} ${endpointKeys.get(endpointId)} ${identityName(state, identity)} ${JSON.stringify(rest)}`,
    );
  }
  for (const { key, value } of maps.policy.values()) {
    lines.push(
      `policy ${endpointKeys.get(key.endpointId)} ${identityName(state, key.identity)} ${key.direction} ${key.proto} ${key.port}/${key.portPrefixLen} ${value.verdict}`,
    );
  }
  return lines.sort();
}
