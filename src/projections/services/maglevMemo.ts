import { maglevTable } from './maglev.js';
import type { MaglevMemo } from './servicesState.js';

/**
 * The Maglev table of a backend set (`key` → `id`), reusing `prev` when it was computed from the
 * same keys and ids: a Service change that leaves its backends alone costs no table rebuild.
 */
export function memoMaglev(
  members: readonly { key: string; id: number }[],
  m: number,
  prev: MaglevMemo | undefined,
): MaglevMemo {
  const signature = members
    .map((x) => `${x.key}=${x.id}`)
    .sort()
    .join(',');
  return prev?.signature === signature ? prev : { signature, table: maglevTable(members, m) };
}
