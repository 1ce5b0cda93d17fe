// Example plugin: a word counter. It reports progress through the one function the host app
// exposed to it, `log`; it has no other way to reach the host.

type Host = { log(line: string): Promise<void> };
let host: Host | null = null;

/** Called once at load with the host's capability object. */
export function init(h: Host): void {
  host = h;
}

/** Count words, lines and characters; return the most frequent words. */
export async function count(
  text: string,
  top = 3,
): Promise<{ words: number; lines: number; chars: number; top: [string, number][] }> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
  const freq = new Map<string, number>();
  for (const w of words) freq.set(w, (freq.get(w) ?? 0) + 1);
  await host?.log(`counted ${words.length} words in ${text.length} characters`);
  return {
    words: words.length,
    lines: text.split("\n").length,
    chars: text.length,
    top: [...freq].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, top),
  };
}

/** Never returns: shows the host app's per-call deadline. */
export function forever(): never {
  for (;;) { /* runaway */ }
}
