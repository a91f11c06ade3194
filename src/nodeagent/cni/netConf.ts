import { hostname } from 'node:os';
import { CNI_ERROR, CniError } from './cniError.js';
import { type CniVersion, checkCniVersion } from './cniVersions.js';

/** Where cairn's CNI plugin sends its events and keeps its state, from the network configuration. */
export interface NetConf {
  readonly cniVersion: CniVersion;
  readonly name: string;
  readonly type: string;
  /** The IPAM section, handed to the plugin named by `ipam.type`. */
  readonly ipam: { readonly type: string } & Readonly<Record<string, unknown>>;
  /** etcd of the event log, used when the local agent does not answer. */
  readonly etcdEndpoints: readonly string[];
  readonly prefix: string;
  readonly etcdCaFile?: string;
  readonly etcdCertFile?: string;
  readonly etcdKeyFile?: string;
  readonly etcdUsername?: string;
  readonly etcdPassword?: string;
  /** How long an append directly to etcd may retry before the call fails (ms). */
  readonly etcdTimeoutMs: number;
  /** Cluster name in the event envelope. */
  readonly cluster: string;
  /** This node's name, as the node agent knows it (default: the host name). */
  readonly nodeName: string;
  /** The local agent's event socket (unix domain, HTTP). */
  readonly agentSocket: string;
  /** Where the plugin records what each ADD created, for DEL, CHECK and GC. */
  readonly dataDir: string;
  readonly mtu?: number;
  /** A chained plugin's input: the previous plugin's result, in `cniVersion`'s format. */
  readonly prevResult?: unknown;
  /** CNI 1.1 GC: the attachments the runtime still uses. */
  readonly validAttachments?: readonly { readonly containerID: string; readonly ifname: string }[];
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export const DEFAULT_AGENT_SOCKET = '/run/cairn/cni.sock';
export const DEFAULT_DATA_DIR = '/var/lib/cni/cairn';

/**
 * Parses the network configuration from stdin. Malformed JSON is the spec's error 6, an
 * unsupported `cniVersion` error 1, anything else wrong error 7; each names the field.
 */
export function parseNetConf(stdin: string): NetConf {
  let json: unknown;
  try {
    json = JSON.parse(stdin);
  } catch (error) {
    throw new CniError(
      CNI_ERROR.decodingFailure,
      `network configuration on stdin is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CniError(CNI_ERROR.decodingFailure, 'network configuration on stdin is not a JSON object');
  }
  const c = json as Record<string, unknown>;
  const cniVersion = checkCniVersion(c.cniVersion);
  const bad = (field: string, why: string) =>
    new CniError(CNI_ERROR.invalidNetworkConfig, `network configuration: ${field} ${why}`);
  const str = (field: string, fallback?: string): string => {
    const v = c[field];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string' || v === '') throw bad(field, 'must be a non-empty string');
    return v;
  };
  const optStr = (field: string): string | undefined => (c[field] === undefined ? undefined : str(field));
  const name = str('name');
  if (!NAME.test(name)) throw bad('name', `${JSON.stringify(name)} must match ${NAME.source}`);
  const type = str('type');

  const ipam = c.ipam;
  if (ipam === null || typeof ipam !== 'object' || Array.isArray(ipam)) {
    throw bad('ipam', 'must be an object naming the IPAM plugin (e.g. {"type": "host-local", ...})');
  }
  const ipamType = (ipam as Record<string, unknown>).type;
  if (typeof ipamType !== 'string' || !NAME.test(ipamType)) throw bad('ipam.type', 'must name a plugin');

  const endpoints = c.etcdEndpoints;
  if (!Array.isArray(endpoints) || endpoints.length === 0 || !endpoints.every((e) => typeof e === 'string')) {
    throw bad(
      'etcdEndpoints',
      'must be a non-empty list of URLs (the event log, used when the agent is down)',
    );
  }
  const mtu = c.mtu;
  if (mtu !== undefined && (!Number.isInteger(mtu) || (mtu as number) < 68 || (mtu as number) > 65535)) {
    throw bad('mtu', 'must be an integer from 68 to 65535');
  }
  const timeout = c.etcdTimeoutMs;
  if (timeout !== undefined && (!Number.isInteger(timeout) || (timeout as number) <= 0)) {
    throw bad('etcdTimeoutMs', 'must be a positive integer');
  }
  const prevResult = c.prevResult;
  if (prevResult !== undefined && (prevResult === null || typeof prevResult !== 'object')) {
    throw bad('prevResult', 'must be an object');
  }
  const valid = c['cni.dev/valid-attachments'];
  if (
    valid !== undefined &&
    (!Array.isArray(valid) ||
      !valid.every((a) => a && typeof a.containerID === 'string' && typeof a.ifname === 'string'))
  ) {
    throw bad('cni.dev/valid-attachments', 'must be a list of {"containerID", "ifname"}');
  }
  return {
    cniVersion,
    name,
    type,
    ipam: ipam as NetConf['ipam'],
    etcdEndpoints: endpoints as string[],
    prefix: str('prefix', '/cairn/'),
    ...opt('etcdCaFile', optStr('etcdCaFile')),
    ...opt('etcdCertFile', optStr('etcdCertFile')),
    ...opt('etcdKeyFile', optStr('etcdKeyFile')),
    ...opt('etcdUsername', optStr('etcdUsername')),
    ...opt('etcdPassword', optStr('etcdPassword')),
    etcdTimeoutMs: (timeout as number | undefined) ?? 10_000,
    cluster: str('cluster', 'local'),
    nodeName: str('nodeName', hostname()),
    agentSocket: str('agentSocket', DEFAULT_AGENT_SOCKET),
    dataDir: str('dataDir', DEFAULT_DATA_DIR),
    ...opt('mtu', mtu as number | undefined),
    ...opt('prevResult', prevResult),
    ...opt('validAttachments', valid as NetConf['validAttachments']),
  };
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
