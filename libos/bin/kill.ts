/** kill [-SIGNAL | -s SIGNAL] pid...: send a signal (default TERM); a negative pid is a group. */
import { err } from "./_io.ts";

/** Run kill on `Deno.args`. */
export async function main(): Promise<number> {
  let sig = "SIGTERM";
  const args = [...Deno.args];
  if (args[0] === "-s") {
    args.shift();
    sig = args.shift() ?? "";
  } else if (
    args[0]?.startsWith("-") && !/^-\d+$/.test(args[0]) ||
    /^-\d+$/.test(args[0] ?? "") && args.length > 1
  ) {
    const s = args.shift()!.slice(1);
    const byNum: Record<string, string> = {
      "9": "SIGKILL",
      "15": "SIGTERM",
      "2": "SIGINT",
      "1": "SIGHUP",
      "10": "SIGUSR1",
      "12": "SIGUSR2",
      "18": "SIGCONT",
      "19": "SIGSTOP",
    };
    sig = byNum[s] ?? (s.startsWith("SIG") ? s : `SIG${s}`);
  }
  let failed = false;
  for (const a of args) {
    try {
      Deno.kill(Number(a), sig as Deno.Signal);
    } catch (e) {
      await err("kill", `(${a}) - ${e instanceof Error ? e.message : String(e)}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
