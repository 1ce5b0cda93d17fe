/** ps: the sandbox's processes, read from /proc/<pid>/stat and /proc/<pid>/cmdline. */
import { out } from "./_io.ts";

/** Run ps. */
export async function main(): Promise<void> {
  const rows = ["  PID  PPID  PGID S CMD"];
  const pids = [...Deno.readDirSync("/proc")].map((e) => e.name).filter((n) => /^\d+$/.test(n))
    .map(Number).sort((a, b) => a - b);
  for (const pid of pids) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`).split(" ");
      const cmd = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter((x) => x)
        .join(" ");
      const [state, ppid, pgid] = [stat[2], stat[3], stat[4]];
      rows.push(
        `${String(pid).padStart(5)} ${ppid!.padStart(5)} ${pgid!.padStart(5)} ${state} ${cmd}`,
      );
    } catch (_e) {
      // The process ended while we listed it.
    }
  }
  await out(rows.join("\n") + "\n");
}
