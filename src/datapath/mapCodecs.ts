import type { MapName, NodeMaps } from '../maps/model.js';
import type { Codec } from './codec.js';
import { backendKeyCodec, lb4BackendCodec } from './codecs/backendCodec.js';
import { endpointInfoCodec, endpointKeyCodec } from './codecs/endpointCodec.js';
import { ipcacheKeyCodec, ipcacheValueCodec } from './codecs/ipcacheCodec.js';
import { maglevKeyCodec, maglevTableCodec } from './codecs/maglevCodec.js';
import { policyEntryCodec, policyKeyCodec } from './codecs/policyCodec.js';
import { lb4ReverseNatCodec, revNatKeyCodec } from './codecs/revNatCodec.js';
import { lb4KeyCodec, lb4ServiceCodec } from './codecs/serviceCodec.js';

/** How one logical map of src/maps/model.ts is stored: its kernel map (pin) name and codecs. */
export interface MapCodec<M extends MapName> {
  /** Name of the map in bpf/map_defs.h, also its pin name under the pin root. */
  readonly cName: string;
  readonly key: Codec<NodeMaps[M]['key']>;
  /** Value decoding may need the decoded key (services: slot 0 is the master). */
  readonly value: Codec<NodeMaps[M]['value'], NodeMaps[M]['key']>;
}

/** Every map of a node with its codecs. */
export const MAP_CODECS: { readonly [M in MapName]: MapCodec<M> } = {
  services: { cName: 'cairn_lb4_svc', key: lb4KeyCodec, value: lb4ServiceCodec },
  backends: { cName: 'cairn_lb4_be', key: backendKeyCodec, value: lb4BackendCodec },
  revNat: { cName: 'cairn_lb4_rnat', key: revNatKeyCodec, value: lb4ReverseNatCodec },
  maglev: { cName: 'cairn_lb4_mglv', key: maglevKeyCodec, value: maglevTableCodec },
  ipcache: { cName: 'cairn_ipcache', key: ipcacheKeyCodec, value: ipcacheValueCodec },
  policy: { cName: 'cairn_policy', key: policyKeyCodec, value: policyEntryCodec },
  endpoints: { cName: 'cairn_endpoints', key: endpointKeyCodec, value: endpointInfoCodec },
};

/** Datapath-internal maps (not part of the desired state) that tools still read. */
export const INTERNAL_MAPS = {
  affinity: 'cairn_affinity',
  sockRevNat: 'cairn_sk_rnat',
  conntrack: 'cairn_ct4',
  drops: 'cairn_drops',
} as const;
