import { isIP } from 'node:net';
import { CNI_ERROR, CniError } from './cniError.js';
import { compareCniVersions } from './cniVersions.js';

export interface CniInterface {
  readonly name: string;
  readonly mac?: string;
  readonly mtu?: number;
  /** The netns path, for an interface inside a container; absent on the host. */
  readonly sandbox?: string;
}

export interface CniIpConfig {
  /** CIDR, e.g. `10.22.0.5/24`. */
  readonly address: string;
  readonly gateway?: string;
  /** Index into `interfaces`. */
  readonly interface?: number;
}

export interface CniRoute {
  readonly dst: string;
  readonly gw?: string;
}

export interface CniDns {
  readonly nameservers?: readonly string[];
  readonly domain?: string;
  readonly search?: readonly string[];
  readonly options?: readonly string[];
}

/** A result in the 1.0.0 shape; older versions are converted on the way in and out. */
export interface CniResult {
  readonly interfaces: readonly CniInterface[];
  readonly ips: readonly CniIpConfig[];
  readonly routes: readonly CniRoute[];
  readonly dns: CniDns;
}

export const EMPTY_RESULT: CniResult = { interfaces: [], ips: [], routes: [], dns: {} };

/** Whether `text` is `address/prefix` with a valid address and prefix length. */
export function isCidr(text: string): boolean {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return false;
  const family = isIP(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * Reads a result of any supported version (a delegated plugin's output, or `prevResult`);
 * `from` names where it came from in errors (code 6: it could not be decoded).
 */
export function parseResult(json: unknown, from: string): CniResult {
  const bad = (why: string) => new CniError(CNI_ERROR.decodingFailure, `${from}: ${why}`);
  if (json === null || typeof json !== 'object') throw bad('result is not a JSON object');
  const r = json as Record<string, unknown>;
  const list = (field: string): Record<string, unknown>[] => {
    const v = r[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((e) => e && typeof e === 'object')) throw bad(`${field} is not a list`);
    return v as Record<string, unknown>[];
  };
  const interfaces = list('interfaces').map((i, n): CniInterface => {
    if (typeof i.name !== 'string') throw bad(`interfaces[${n}] has no name`);
    return {
      name: i.name,
      ...(typeof i.mac === 'string' ? { mac: i.mac } : {}),
      ...(typeof i.mtu === 'number' ? { mtu: i.mtu } : {}),
      ...(typeof i.sandbox === 'string' && i.sandbox !== '' ? { sandbox: i.sandbox } : {}),
    };
  });
  const ips = list('ips').map((ip, n): CniIpConfig => {
    if (typeof ip.address !== 'string' || !isCidr(ip.address)) {
      throw bad(`ips[${n}].address ${JSON.stringify(ip.address)} is not an address in CIDR form`);
    }
    if (ip.gateway !== undefined && (typeof ip.gateway !== 'string' || isIP(ip.gateway) === 0)) {
      throw bad(`ips[${n}].gateway ${JSON.stringify(ip.gateway)} is not an address`);
    }
    return {
      address: ip.address,
      ...(typeof ip.gateway === 'string' ? { gateway: ip.gateway } : {}),
      ...(typeof ip.interface === 'number' ? { interface: ip.interface } : {}),
    };
  });
  const routes = list('routes').map((route, n): CniRoute => {
    if (typeof route.dst !== 'string' || !isCidr(route.dst)) {
      throw bad(`routes[${n}].dst ${JSON.stringify(route.dst)} is not a CIDR`);
    }
    return { dst: route.dst, ...(typeof route.gw === 'string' && route.gw !== '' ? { gw: route.gw } : {}) };
  });
  const dns = r.dns && typeof r.dns === 'object' ? (r.dns as CniDns) : {};
  return { interfaces, ips, routes, dns };
}

/** The result as the runtime expects it for `cniVersion` (before 1.0.0, each IP names its family). */
export function formatResult(result: CniResult, cniVersion: string): Record<string, unknown> {
  const legacy = compareCniVersions(cniVersion, '1.0.0') < 0;
  return {
    cniVersion,
    interfaces: result.interfaces,
    ips: result.ips.map((ip) =>
      legacy ? { version: isIP(ip.address.split('/')[0]!) === 6 ? '6' : '4', ...ip } : ip,
    ),
    routes: result.routes,
    dns: result.dns,
  };
}
