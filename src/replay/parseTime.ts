/**
 * A time from the command line, epoch ms: RFC 3339 (`2026-11-22T03:12:00Z`), `now`, or a
 * duration ago (`90s`, `15m`, `2h`, `1d`).
 */
export function parseTime(spec: string, now = Date.now()): number {
  if (spec === 'now') return now;
  const ago = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(spec);
  if (ago) {
    const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 'ms'];
    return now - Number(ago[1]) * unit;
  }
  const ms = Date.parse(spec);
  if (!/^\d{4}-\d\d-\d\dT/.test(spec) || Number.isNaN(ms))
    throw new Error(`not a time: ${JSON.stringify(spec)} (RFC 3339, now, or a duration ago like 15m)`);
  return ms;
}
