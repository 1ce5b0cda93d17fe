/** mkfifo [-m MODE] path...: make FIFOs (named pipes; tmpfs and chroot mounts). */
import { mkfifo } from "../native.ts";
import { err } from "./_io.ts";

/** Run mkfifo on `Deno.args`. */
export async function main(): Promise<void> {
  const args = [...Deno.args];
  let mode = 0o666;
  if (args[0] === "-m") {
    args.shift();
    const m = args.shift() ?? "";
    if (!/^[0-7]{1,4}$/.test(m)) {
      await err("mkfifo", `invalid mode '${m}'`);
      Deno.exit(1);
    }
    mode = parseInt(m, 8) & 0o777;
  }
  if (args.length === 0) {
    await err("mkfifo", "missing operand");
    Deno.exit(1);
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
  if (failed) Deno.exit(1);
}
