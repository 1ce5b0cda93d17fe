/** echo [-n] [arg...]: print the arguments. */
import { out } from "./_io.ts";

const noNewline = Deno.args[0] === "-n";
const words = noNewline ? Deno.args.slice(1) : Deno.args;
await out(words.join(" ") + (noNewline ? "" : "\n"));
