/** Build a C baseline of this folder with `cc -O2` into a temp dir and run it. */

const built = new Map<string, string | null>();

async function build(name: string): Promise<string | null> {
  if (built.has(name)) return built.get(name)!;
  let out: string | null = null;
  try {
    const dir = await Deno.makeTempDir({ prefix: "sandpiper-bench-" });
    out = `${dir}/${name.replace(/\.c$/, "")}`;
    const src = new URL(`./${name}`, import.meta.url).pathname;
    const r = await new Deno.Command("cc", { args: ["-O2", "-o", out, src], stderr: "piped" })
      .output();
    if (!r.success) {
      console.error(`cc ${name} failed: ${new TextDecoder().decode(r.stderr)}`);
      out = null;
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    out = null; // no cc on this machine
  }
  built.set(name, out);
  return out;
}

/**
 * Build `name` (a .c file next to this module) once and run it with `args`; with `pinned`, under
 * `taskset -c 0` (all its processes on one core: a wake-up is then a context switch, not a
 * cross-core interrupt).
 * @returns the number it prints, or NaN when `cc` (or `taskset`) is missing or the build/run failed
 */
export async function runNative(
  name: string,
  args: string[],
  opts: { pinned?: boolean } = {},
): Promise<number> {
  const exe = await build(name);
  if (exe === null) return NaN;
  try {
    const r = opts.pinned
      ? await new Deno.Command("taskset", { args: ["-c", "0", exe, ...args], stdout: "piped" })
        .output()
      : await new Deno.Command(exe, { args, stdout: "piped" }).output();
    return r.success ? Number(new TextDecoder().decode(r.stdout).trim()) : NaN;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return NaN;
    throw e;
  }
}
