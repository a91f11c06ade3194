/**
 * kube-proxy's own account of its syncs, from its klog lines at --v=2: a sync starts, it reloads
 * the ruleset (with the number of Service ports and endpoints it programs), and it completes.
 * Each line names its IP family: kube-proxy runs one proxier per family the node supports.
 */

export type KubeProxyLogEvent = { readonly ipFamily: string } & (
  | { readonly kind: 'syncStart'; readonly fullSync: boolean }
  | { readonly kind: 'reload'; readonly services: number; readonly endpoints: number }
  | { readonly kind: 'syncComplete'; readonly elapsedMs: number }
);

const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3,
  ns: 1e-6,
};

/** A Go time.Duration as printed ("1m2.5s", "850.2ms", "12µs") in milliseconds; NaN if it is not one. */
export function goDurationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return Number.NaN;
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit!]!, 0);
}

const field = (line: string, name: string) => line.match(new RegExp(`\\b${name}="?([^"\\s]+)"?`))?.[1];

/** The sync event a kube-proxy log line reports, or null for any other line. */
export function parseKubeProxyLine(line: string): KubeProxyLogEvent | null {
  const ipFamily = field(line, 'ipFamily') ?? '';
  if (line.includes('"SyncProxyRules complete"')) {
    return { ipFamily, kind: 'syncComplete', elapsedMs: goDurationMs(field(line, 'elapsed') ?? '') };
  }
  if (/"Syncing (iptables|nftables) rules"/.test(line)) {
    return { ipFamily, kind: 'syncStart', fullSync: field(line, 'fullSync') === 'true' };
  }
  if (/"Reloading service (iptables|nftables) data"/.test(line)) {
    return {
      ipFamily,
      kind: 'reload',
      services: Number(field(line, 'numServices')),
      endpoints: Number(field(line, 'numEndpoints')),
    };
  }
  return null;
}
