/** Helpers of the built-in programs: whole-input reads, output, errors. */

const enc = new TextEncoder();
const dec = new TextDecoder();

/** All of stdin (path null or "-") or of a file, as text. */
export async function readText(path: string | null): Promise<string> {
  if (path === null || path === "-") {
    const parts: Uint8Array[] = [];
    for await (const c of Deno.stdin.readable) parts.push(c);
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    return dec.decode(all);
  }
  return await Deno.readTextFile(path);
}

/** Write text to stdout, all of it. */
export async function out(text: string): Promise<void> {
  const b = enc.encode(text);
  let off = 0;
  while (off < b.length) off += await Deno.stdout.write(b.subarray(off));
}

/** Report `msg` on stderr as `prog: msg`. */
export async function err(prog: string, msg: string): Promise<void> {
  const b = enc.encode(`${prog}: ${msg}\n`);
  let off = 0;
  while (off < b.length) off += await Deno.stderr.write(b.subarray(off));
}

/** Lines of `text` without the final empty one. */
export function lines(text: string): string[] {
  const l = text.split("\n");
  if (l.at(-1) === "") l.pop();
  return l;
}

/** Run each input (files, or stdin when none) through `fn`; 1 if one failed, else 0. */
export async function eachInput(
  prog: string,
  files: string[],
  fn: (text: string, name: string) => Promise<void> | void,
): Promise<number> {
  let failed = false;
  for (const f of files.length ? files : ["-"]) {
    let text: string;
    try {
      text = await readText(f);
    } catch (e) {
      await err(prog, `${f}: ${e instanceof Error ? e.message : String(e)}`);
      failed = true;
      continue;
    }
    await fn(text, f);
  }
  return failed ? 1 : 0;
}
