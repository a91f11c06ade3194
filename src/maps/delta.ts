import type { MapName, NodeMaps } from './model.js';

/** One change to one map of a node: what projections emit and the node agent applies. */
export type MapDelta = {
  [M in MapName]:
    | {
        readonly map: M;
        readonly op: 'upsert';
        readonly key: NodeMaps[M]['key'];
        readonly value: NodeMaps[M]['value'];
      }
    | { readonly map: M; readonly op: 'delete'; readonly key: NodeMaps[M]['key'] };
}[MapName];

/** An entry of a map, with its key and value. */
export type MapEntry<M extends MapName> = {
  readonly key: NodeMaps[M]['key'];
  readonly value: NodeMaps[M]['value'];
};

/** The full contents of every map of one node, each map indexed by `mapKeyId(map, key)`. */
export type DesiredMaps = { readonly [M in MapName]: ReadonlyMap<string, MapEntry<M>> };
