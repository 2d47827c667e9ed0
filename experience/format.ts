/** Human formatting shared by the XLA descriptions, the page and the exports. */

/**
 * A duration for people: "850 ms", "4.5 s", "2 min", "2 min 5 s", "1 h 30 min", "2 d 3 h".
 * Truncates to the two largest units (a page shows magnitudes, the export keeps exact ms).
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 0) return `−${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) {
    const s = ms / 1000;
    return Number.isInteger(s) || s >= 10 ? `${Math.floor(s)} s` : `${Math.floor(s * 10) / 10} s`;
  }
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1000],
  ];
  const start = units.findIndex(([, size]) => ms >= size);
  const [bigName, bigSize] = units[start] ?? ['s', 1000];
  const [smallName, smallSize] = units[start + 1] ?? ['', 0];
  const big = Math.floor(ms / bigSize);
  const small = smallSize > 0 ? Math.floor((ms - big * bigSize) / smallSize) : 0;
  return small > 0 ? `${big} ${bigName} ${small} ${smallName}` : `${big} ${bigName}`;
}

/** A percentage with at most one decimal: 12.5 → "12.5%", 100/3 → "33.3%". */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${Math.round(value * 10) / 10}%`;
}

/** An NPS score with its sign: "+30", "0", "−12"; "—" when nobody answered. */
export function formatNps(score: number | null | undefined): string {
  if (score === null || score === undefined) return '—';
  return score > 0 ? `+${score}` : score < 0 ? `−${-score}` : '0';
}
