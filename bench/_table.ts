/** Tiny helpers shared by the benches: timing, medians and the result table. */

/** One table row; `ours` and `baseline` are in `unit` (NaN baseline = unavailable). */
export interface BenchRow {
  name: string;
  ours: number;
  baseline: number;
  unit: string;
  /** The goal in words, e.g. "ratio <= 0.1". */
  goal?: string;
}

/**
 * Median of `xs` (NaN when empty).
 * @example
 * ```ts
 * import { median } from "./_table.ts";
 * median([3, 1, 2]); // 2
 * ```
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Run `fn` `warmup` times untimed, then `iterations` times timed.
 * @returns microseconds per call
 * @example
 * ```ts
 * import { measure } from "./_table.ts";
 * measure(() => Math.sqrt(2), { iterations: 1000, warmup: 100 }); // e.g. 0.01
 * ```
 */
export function measure(fn: () => void, opts: { iterations: number; warmup: number }): number {
  for (let i = 0; i < opts.warmup; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < opts.iterations; i++) fn();
  return ((performance.now() - t0) * 1000) / opts.iterations;
}

function fmt(x: number): string {
  if (Number.isNaN(x)) return "unavailable";
  if (x >= 100) return x.toFixed(0);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

/**
 * Print a table: name | ours (median) | baseline (median) | ratio (ours/baseline) | goal.
 * @example
 * ```ts
 * import { printTable } from "./_table.ts";
 * printTable("demo", [{ name: "op", ours: 1, baseline: 2, unit: "µs" }]);
 * ```
 */
export function printTable(title: string, rows: readonly BenchRow[]): void {
  const head = ["name", "ours (median)", "baseline (median)", "ratio ours/base", "goal"];
  const body = rows.map((r) => [
    r.name,
    `${fmt(r.ours)} ${r.unit}`,
    Number.isNaN(r.baseline) ? "baseline unavailable" : `${fmt(r.baseline)} ${r.unit}`,
    Number.isNaN(r.baseline) ? "-" : fmt(r.ours / r.baseline),
    r.goal ?? "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  console.log(`\n${title}`);
  console.log(line(head));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const row of body) console.log(line(row));
}
