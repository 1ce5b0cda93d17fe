/** sleep SECONDS: wait (fractions allowed). */
import { err } from "./_io.ts";

/** Run sleep on `Deno.args`. */
export async function main(): Promise<number> {
  const s = Number(Deno.args[0]);
  if (!Number.isFinite(s) || s < 0) {
    await err("sleep", `invalid time interval '${Deno.args[0] ?? ""}'`);
    return 1;
  }
  await new Promise((r) => setTimeout(r, s * 1000));
  return 0;
}
