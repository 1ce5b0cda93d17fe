/** mkfifo [-m MODE] path...: make FIFOs (named pipes; tmpfs and chroot mounts). */
import { mkfifo } from "../native.ts";
import { err } from "./_io.ts";

/** Run mkfifo on `Deno.args`. */
export async function main(): Promise<number> {
  const args = [...Deno.args];
  let mode = 0o666;
  if (args[0] === "-m") {
    args.shift();
    const m = args.shift() ?? "";
    if (!/^[0-7]{1,4}$/.test(m)) {
      await err("mkfifo", `invalid mode '${m}'`);
      return 1;
    }
    mode = parseInt(m, 8) & 0o777;
  }
  if (args.length === 0) {
    await err("mkfifo", "missing operand");
    return 1;
  }
  let failed = false;
  for (const p of args) {
    try {
      mkfifo(p, mode);
    } catch (e) {
      await err("mkfifo", `cannot create fifo '${p}': ${(e as Error).message}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
