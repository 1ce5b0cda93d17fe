/**
 * `console` in a picoprocess formats as Deno's does (the corpus compares whole programs:
 * corpus_test.ts). Here the case where Deno's console class colors its output: the embedding
 * process's stdout is a terminal (a pseudo-terminal from script(1)) and the sandbox runs in
 * `worker` isolation. The picoprocess's stdout is not a terminal, so its output must be what real
 * Deno prints into a pipe: no color codes, and the program's own escape characters kept.
 */
import assert from "node:assert/strict";

const fixture = new URL("./fixtures/console_colors.ts", import.meta.url).pathname;
const cli = new URL("../../cli/main.ts", import.meta.url).pathname;
const dec = new TextDecoder();

/** `command` run by script(1) on a pseudo-terminal: what the terminal showed. */
async function onTerminal(command: string): Promise<string> {
  const env: Record<string, string> = { ...Deno.env.toObject(), DENO_NO_UPDATE_CHECK: "1" };
  delete env.NO_COLOR;
  const out = await new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, dec.decode(out.stderr));
  return dec.decode(out.stdout).replaceAll("\r\n", "\n");
}

Deno.test("console on a terminal host: the picoprocess prints as real Deno into a pipe", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sp_console_" });
  try {
    const manifest = `${dir}/c.toml`;
    await Deno.writeTextFile(
      manifest,
      `[loader]\nentrypoint = "${fixture}"\n[sys]\nisolation = "worker"\nwall_time = "60s"\n`,
    );
    const deno = Deno.execPath();
    // Real Deno on the terminal colors: the case is live.
    const colored = await onTerminal(`${deno} run ${fixture}`);
    assert.ok(colored.includes("\x1b[33m5\x1b[39m"), colored);
    // Real Deno into pipes.
    const piped = await new Deno.Command(deno, {
      args: ["run", fixture],
      env: { DENO_NO_UPDATE_CHECK: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const wantOut = dec.decode(piped.stdout), wantErr = dec.decode(piped.stderr);
    assert.ok(wantOut.includes("\x1b[31mred\x1b[0m"), "the program's own escapes");
    const run = `${deno} run -A ${cli} run ${manifest}`;
    // stdout on the terminal, stderr into a file; then the other way round.
    assert.equal(await onTerminal(`${run} 2>${dir}/err; cat ${dir}/err`), wantOut + wantErr);
    assert.equal(await onTerminal(`${run} 1>${dir}/out; cat ${dir}/out`), wantErr + wantOut);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
