/** echo [-n] [arg...]: print the arguments. */
import { out } from "./_io.ts";

/** Run echo on `Deno.args`. */
export async function main(): Promise<void> {
  const noNewline = Deno.args[0] === "-n";
  const words = noNewline ? Deno.args.slice(1) : Deno.args;
  await out(words.join(" ") + (noNewline ? "" : "\n"));
}
