/**
 * The corpus (tests/corpus/*.ts): ordinary Deno programs run directly under `deno run` on a temp
 * directory and inside a sandbox on a chroot mount of a copy of it. Same stdout, stderr, exit
 * codes and resulting files are required.
 */
import assert from "node:assert/strict";
import { runGuest } from "./_sandbox.ts";

const corpus = new URL("../corpus/", import.meta.url).pathname;

interface Case {
  program: string;
  seed: Record<string, string>;
  /** Arguments of each run (in the directory, or in `cwd` below it). */
  runs: (string[] | { args: string[]; cwd: string })[];
  env?: Record<string, string>;
  /** The program reads files beside its module (its direct run may read the corpus too). */
  readsCode?: boolean;
}

const words = "the quick brown fox\njumps over\n\nthe lazy dog\n";
const CASES: Case[] = [
  {
    program: "wc.ts",
    seed: { "a.txt": words, "b.txt": "one two three", "sub/c.txt": "x\ny\nz\n" },
    runs: [["a.txt", "b.txt", "sub/c.txt"], ["a.txt", "missing.txt"], ["sub"]],
  },
  {
    program: "kv.ts",
    seed: {},
    runs: [["set", "a", "1"], ["set", "b", "two"], ["get", "a"], ["del", "a"], ["get", "a"], [
      "set",
      "c",
      "ünïcödé",
    ], ["list"]],
  },
  {
    program: "ssg.ts",
    seed: {
      "content/index.md": "# Home\n\nWelcome <here>.\n\n- one\n- two\n",
      "content/blog/first.md": "# First post\n\nHello\nworld.\n\n## Part\n\nMore.",
      "content/blog/img/logo.svg": "<svg/>",
      "content/about.md": "no title here",
    },
    runs: [[], []],
  },
  {
    program: "logrotate.ts",
    seed: {},
    runs: [
      ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"],
      ["iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma"],
      ["tau", "upsilon", "phi", "chi", "psi", "omega", "again", "and again", "once more"],
    ],
    env: { LOG_MAX: "60" },
  },
  {
    program: "addheader.ts",
    seed: {
      "src/a.ts": "// Copyright 2026 The Authors. All rights reserved.\n" +
        "// Licensed under the MIT license; see LICENSE.\nexport const a = 1;\n",
      "src/b.ts": "export const b = 2;\n",
      "src/sub/c.js": "console.log('c');\n",
      "src/notes.md": "not a source file\n",
      "other/.addheader.json": '{ "holder": "Someone Else", "extensions": [".js"] }',
    },
    runs: [["src"], ["--fix", "src"], ["src"], { args: ["--fix", "../src"], cwd: "other" }, []],
    readsCode: true,
  },
  {
    program: "du_report.ts",
    seed: {
      "site/index.html": "<h1>hi</h1>\n",
      "site/css/main.css": "body { margin: 0 }\n".repeat(40),
      "site/js/app.js": "console.log('app');\n".repeat(30),
      "site/js/vendor.js": "x".repeat(700),
      "site/img/.keep": "",
      "site/README": "read me\n",
      "site/empty.txt": "",
      "site/drafts/.gitkeep": "",
    },
    runs: [["site"], ["--json", "site"], ["site/css"], ["missing"]],
  },
];

async function seed(dir: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    const p = `${dir}/${rel}`;
    await Deno.mkdir(p.slice(0, p.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(p, text);
  }
}

async function tree(dir: string, rel = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(`${dir}/${rel}`)) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) Object.assign(out, await tree(dir, r));
    else out[r] = await Deno.readTextFile(`${dir}/${r}`);
  }
  return out;
}

async function direct(c: Case, dir: string, args: string[], cwd: string) {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      `--allow-read=${dir}${c.readsCode ? `,${corpus}` : ""}`,
      `--allow-write=${dir}`,
      "--allow-env",
      corpus + c.program,
      ...args,
    ],
    cwd: cwd === "" ? dir : `${dir}/${cwd}`,
    // No check for a newer Deno release (a lookup of dl.deno.land): the run stays local.
    env: { ...c.env, DENO_NO_UPDATE_CHECK: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  });
  const r = await cmd.output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

for (const c of CASES) {
  Deno.test(`corpus ${c.program}: same output and files directly and in the sandbox`, async () => {
    const a = await Deno.makeTempDir({ prefix: "sp_corpus_direct_" });
    const b = await Deno.makeTempDir({ prefix: "sp_corpus_sandbox_" });
    try {
      await seed(a, c.seed);
      await seed(b, c.seed);
      for (const run of c.runs) {
        const { args, cwd } = Array.isArray(run) ? { args: run, cwd: "" } : run;
        const want = await direct(c, a, args, cwd);
        const got = await runGuest({
          entry: corpus + c.program,
          mounts: [{ path: "/work", hostDir: b }],
          argv: args,
          cwd: cwd === "" ? "/work" : `/work/${cwd}`,
          env: c.env ?? {},
        });
        assert.deepEqual(got, want, `${c.program} ${args.join(" ")}`);
      }
      assert.deepEqual(await tree(b), await tree(a));
    } finally {
      await Deno.remove(a, { recursive: true });
      await Deno.remove(b, { recursive: true });
    }
  });
}
