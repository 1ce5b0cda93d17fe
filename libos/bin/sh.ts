/**
 * sh: a small POSIX-style shell. `sh -c "cmds"`, `sh script`, or commands on stdin.
 * Pipelines (`|`), lists (`;`, `&&`, `||`, newlines), background jobs (`&`, `wait`),
 * redirections (`<`, `>`, `>>`, `2>`, `2>>`, `2>&1`, `>&2`), quoting ('…', "…", \),
 * `$VAR`, `${VAR}`, `$?`, `$$`, `$!`, assignments, and the built-ins cd, exit, export, wait,
 * exec.
 * Every command of a pipeline is its own picoprocess; the pipes between them are shared rings.
 */
import { Errno, ErrnoError, O, sys } from "../native.ts";
import type { FdAction } from "../proc/process.ts";
import { err, readText } from "./_io.ts";

type Tok = { op: string } | { word: string };
interface Redir {
  fd: number;
  kind: "<" | ">" | ">>" | ">&";
  target: string;
}
interface Cmd {
  words: string[];
  redirs: Redir[];
}
interface Pipeline {
  cmds: Cmd[];
  /** How the next pipeline follows: ";", "&&", "||", "&". */
  then: string;
}

/** The shell's variables: the environment, set when main starts. */
let env: Record<string, string> = {};
let status = 0;
let lastBg = 0;
const jobs = new Set<number>();

/** Split a line into words and operators, expanding variables outside single quotes. */
function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const expand = (): string => {
    i++;
    if (src[i] === "{") {
      const end = src.indexOf("}", i);
      const name = src.slice(i + 1, end < 0 ? src.length : end);
      i = end < 0 ? src.length : end + 1;
      return env[name] ?? "";
    }
    const special = src[i];
    if (special === "?" || special === "$" || special === "!") {
      i++;
      return String(special === "?" ? status : special === "$" ? Deno.pid : lastBg || "");
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (!m) return "$";
    i += m[0].length;
    return env[m[0]] ?? "";
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    const op = /^(2>&1|>&2|2>>|&&|\|\||>>|2>|[|;&<>\n])/.exec(src.slice(i));
    if (op) {
      toks.push({ op: op[0] === "\n" ? ";" : op[0] });
      i += op[0].length;
      continue;
    }
    let w = "";
    let quoted = false;
    while (i < src.length && !/[ \t\n|;&<>]/.test(src[i]!)) {
      const d = src[i]!;
      if (d === "'") {
        const end = src.indexOf("'", i + 1);
        if (end < 0) throw new SyntaxError("unterminated '");
        w += src.slice(i + 1, end);
        i = end + 1;
        quoted = true;
      } else if (d === '"') {
        i++;
        quoted = true;
        while (i < src.length && src[i] !== '"') {
          if (src[i] === "\\" && /["\\$]/.test(src[i + 1] ?? "")) {
            w += src[i + 1];
            i += 2;
          } else if (src[i] === "$") w += expand();
          else w += src[i++];
        }
        if (src[i] !== '"') throw new SyntaxError('unterminated "');
        i++;
      } else if (d === "\\") {
        w += src[i + 1] ?? "";
        i += 2;
      } else if (d === "$") w += expand();
      else w += src[i++];
    }
    if (w !== "" || quoted) toks.push({ word: w });
  }
  return toks;
}

/** Group tokens into pipelines of commands. */
function parse(toks: Tok[]): Pipeline[] {
  const out: Pipeline[] = [];
  let cmds: Cmd[] = [];
  let cur: Cmd = { words: [], redirs: [] };
  const endCmd = () => {
    if (cur.words.length || cur.redirs.length) cmds.push(cur);
    else if (cmds.length) throw new SyntaxError("syntax error near |");
    cur = { words: [], redirs: [] };
  };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if ("word" in t) {
      cur.words.push(t.word);
      continue;
    }
    if (t.op === "|") {
      if (!cur.words.length) throw new SyntaxError("syntax error near |");
      endCmd();
    } else if ([";", "&&", "||", "&"].includes(t.op)) {
      endCmd();
      if (cmds.length) out.push({ cmds, then: t.op });
      else if (t.op !== ";") throw new SyntaxError(`syntax error near ${t.op}`);
      cmds = [];
    } else if (t.op === "2>&1" || t.op === ">&2") {
      cur.redirs.push(
        t.op === "2>&1" ? { fd: 2, kind: ">&", target: "1" } : { fd: 1, kind: ">&", target: "2" },
      );
    } else {
      const next = toks[++i];
      if (!next || !("word" in next)) throw new SyntaxError(`missing file after ${t.op}`);
      const fd = t.op.startsWith("2") ? 2 : t.op === "<" ? 0 : 1;
      const kind = t.op.endsWith(">>") ? ">>" : t.op === "<" ? "<" : ">";
      cur.redirs.push({ fd, kind, target: next.word });
    }
  }
  endCmd();
  if (cmds.length) out.push({ cmds, then: ";" });
  return out;
}

function actionsFor(c: Cmd): FdAction[] {
  return c.redirs.map((r): FdAction => {
    if (r.kind === ">&") return { op: "dup2", fd: Number(r.target), newfd: r.fd };
    const flags = r.kind === "<"
      ? O.RDONLY
      : O.WRONLY | O.CREAT | (r.kind === ">>" ? O.APPEND : O.TRUNC);
    return { op: "open", fd: r.fd, path: r.target, flags, mode: 0o644 };
  });
}

/** Built-ins run in the shell itself; null when `c` is not one. */
async function builtin(c: Cmd): Promise<number | null> {
  const [name, ...args] = c.words;
  switch (name) {
    case "cd":
      try {
        Deno.chdir(args[0] ?? env.HOME ?? "/");
        return 0;
      } catch (e) {
        await err("sh", `cd: ${args[0]}: ${(e as Error).message}`);
        return 1;
      }
    case "exit":
      Deno.exit(args[0] === undefined ? status : Number(args[0]));
      break;
    case "export":
      for (const a of args) {
        const eq = a.indexOf("=");
        if (eq > 0) env[a.slice(0, eq)] = a.slice(eq + 1);
      }
      return 0;
    case "wait":
      return await waitJobs(args.map(Number));
    case "exec":
      return await execBuiltin(c, args);
  }
  return null;
}

/** exec: replace the shell with the command (same pid); no command is a no-op. */
async function execBuiltin(c: Cmd, args: string[]): Promise<number> {
  if (c.redirs.length > 0) {
    await err("sh", "exec: redirections are not supported");
    return 2;
  }
  if (args.length === 0) return 0;
  try {
    sys().execve(args[0]!, args, env);
  } catch (e) {
    await err("sh", `exec: ${args[0]}: ${(e as Error).message}`);
    return e instanceof ErrnoError && e.errno === Errno.ENOENT ? 127 : 126;
  }
  return 0;
}

async function waitJobs(pids: number[]): Promise<number> {
  let last = 0;
  for (const pid of pids.length ? pids : [...jobs]) {
    try {
      const w = await sys().waitpidAsync(pid, 0);
      last = w.code;
    } catch (e) {
      if (!(e instanceof ErrnoError && e.errno === Errno.ECHILD)) throw e;
      last = 127;
    }
    jobs.delete(pid);
  }
  return last;
}

/** Run one pipeline; returns its status (0 for a background one). */
async function run(p: Pipeline): Promise<number> {
  const s = sys();
  const first = p.cmds[0]!;
  // Leading NAME=value words: an assignment alone sets a shell variable.
  const assigns: Record<string, string> = {};
  while (first.words.length && /^[A-Za-z_]\w*=/.test(first.words[0]!)) {
    const w = first.words.shift()!;
    assigns[w.slice(0, w.indexOf("="))] = w.slice(w.indexOf("=") + 1);
  }
  if (!first.words.length && p.cmds.length === 1) {
    Object.assign(env, assigns);
    return 0;
  }
  if (p.cmds.length === 1 && p.then !== "&") {
    const b = await builtin(first);
    if (b !== null) return b;
  }
  const pids: number[] = [];
  let prevRead = -1;
  for (let i = 0; i < p.cmds.length; i++) {
    const c = p.cmds[i]!;
    const acts: FdAction[] = [];
    let pipe: [number, number] | null = null;
    if (prevRead >= 0) acts.push({ op: "dup2", fd: prevRead, newfd: 0 });
    if (i < p.cmds.length - 1) {
      pipe = s.pipe(O.CLOEXEC);
      acts.push({ op: "dup2", fd: pipe[1], newfd: 1 });
    }
    acts.push(...actionsFor(c));
    try {
      pids.push(s.spawn({
        program: c.words[0]!,
        argv: c.words,
        env: i === 0 ? { ...env, ...assigns } : env,
        fdActions: acts,
      }));
    } catch (e) {
      const msg = e instanceof ErrnoError && e.errno === Errno.ENOENT
        ? `${c.words[0]}: not found`
        : `${c.words[0]}: ${(e as Error).message}`;
      await err("sh", msg);
      if (i === p.cmds.length - 1) status = 127;
    }
    if (prevRead >= 0) s.close(prevRead);
    if (pipe) {
      s.close(pipe[1]);
      prevRead = pipe[0];
    }
  }
  if (p.then === "&") {
    for (const pid of pids) jobs.add(pid);
    lastBg = pids.at(-1) ?? 0;
    return 0;
  }
  let code = status;
  for (const pid of pids) {
    const w = await s.waitpidAsync(pid, 0);
    if (pid === pids.at(-1)) code = w.code;
  }
  return pids.length ? code : 127;
}

/** Run the shell on `Deno.args` (`-c cmds`, a script, or stdin); returns the last status. */
export async function main(): Promise<number> {
  // A recycled Worker may have run the shell before: start from a clean state.
  status = 0;
  lastBg = 0;
  jobs.clear();
  env = Deno.env.toObject();
  env.PATH ??= "/bin";
  const a = Deno.args;
  const src = a[0] === "-c" ? (a[1] ?? "") : await readText(a[0] ?? null);
  let list: Pipeline[];
  try {
    list = parse(lex(src));
  } catch (e) {
    await err("sh", (e as Error).message);
    return 2;
  }
  let skip = false;
  for (const p of list) {
    if (!skip) status = await run(p);
    skip = (p.then === "&&" && status !== 0) || (p.then === "||" && status === 0);
  }
  return status;
}
