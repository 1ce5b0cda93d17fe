/**
 * A `console` writing to the picoprocess's fd 1 (log, info, debug, dir, table…) and fd 2 (warn,
 * error, assert, trace), formatted as Deno's own console formats.
 *
 * It is Deno's own console class (`Deno[Deno.internal].Console`, taken when this module loads,
 * before the personality replaces `Deno`'s members) over a print function that writes the fds.
 * That class colors its output when the *process's* stdout (for log…) or stderr (for error…) is a
 * terminal and NO_COLOR is unset: a property of the whole Deno process (in `worker` isolation, of
 * the embedding app), while a picoprocess's fds are never terminals (`isTerminal()` is false),
 * so Deno would print them no colors. So when the class colors, the color codes (SGR sequences) are taken out of what it
 * prints, and an escape character the program itself passes in a string argument is shielded from
 * that (swapped for a per-console marker while the line is formatted; the one difference left: such
 * a string formatted by `%o`, `%O` or `%j` shows its escapes raw, not as `\x1b`). Where a Deno has
 * no such class, a console of our own formats with `Deno.inspect` (`ownConsole`).
 */

type Write = (fd: 1 | 2, text: string) => void;

function inspect(v: unknown): string {
  return Deno.inspect(v, { colors: false, depth: 4 });
}

/** Format `args` the way console.log does. */
export function formatArgs(args: readonly unknown[]): string {
  const out: string[] = [];
  let rest = [...args];
  const first = rest[0];
  if (typeof first === "string" && first.includes("%") && rest.length > 1) {
    rest = rest.slice(1);
    let s = "";
    for (let i = 0; i < first.length; i++) {
      const c = first[i];
      const n = first[i + 1];
      if (c !== "%" || n === undefined) {
        s += c;
        continue;
      }
      i++;
      if (n === "%") s += "%";
      else if (rest.length === 0 || !"sdifoOjc".includes(n)) s += "%" + n;
      else {
        const a = rest.shift();
        if (n === "s") s += typeof a === "string" ? a : inspect(a);
        else if (n === "d" || n === "i") {
          s += typeof a === "bigint"
            ? `${a}n`
            : String(n === "i" ? Math.trunc(Number(a)) : Number(a));
        } else if (n === "f") s += String(Number(a));
        else if (n === "j") s += JSON.stringify(a);
        else if (n !== "c") s += inspect(a);
      }
    }
    out.push(s);
  } else if (rest.length > 0) {
    out.push(typeof first === "string" ? first : inspect(first));
    rest = rest.slice(1);
  }
  for (const a of rest) out.push(typeof a === "string" ? a : inspect(a));
  return out.join(" ");
}

interface DenoConsoleClass {
  new (print: (msg: string, level: number) => void): Console;
}

/** Deno's console class, or null. */
const DenoConsole: DenoConsoleClass | null = (() => {
  try {
    const D = Deno as unknown as Record<symbol, unknown> & { internal?: symbol };
    const internal = D.internal === undefined ? undefined : D[D.internal] as { Console?: unknown };
    const C = internal?.Console;
    return typeof C === "function" ? C as DenoConsoleClass : null;
  } catch (_e) {
    return null;
  }
})();

/** Whether Deno's console class colors what it prints to stdout and to stderr in this process
 * (see the module doc); asked once. */
let colorsOn: boolean | null = null;
function denoColors(C: DenoConsoleClass): boolean {
  if (colorsOn === null) {
    let out = "";
    const probe = new C((m) => void (out += m));
    probe.log(1);
    probe.error(1);
    colorsOn = out.includes("\x1b[");
  }
  return colorsOn;
}

// deno-lint-ignore no-control-regex
const SGR = /\x1b\[[0-9;]*m/g;

/**
 * A console over `write`: Deno's own where this Deno has its class (levels 0–1 print to fd 1,
 * 2 and above to fd 2, as Deno's global console does), else `ownConsole`.
 */
export function makeConsole(write: Write): Console {
  if (!DenoConsole) return ownConsole(write);
  if (!denoColors(DenoConsole)) {
    return new DenoConsole((msg, level) => write(level > 1 ? 2 : 1, msg));
  }
  // Colors on: strip them, shielding the program's own escape characters (module doc).
  const marker = "\u{F0000}" + Array.from(
    crypto.getRandomValues(new Uint16Array(4)),
    (n) => String.fromCodePoint(0xf0001 + (n & 0xfff)),
  ).join("");
  const inner = new DenoConsole((msg, level) => {
    write(level > 1 ? 2 : 1, msg.replace(SGR, "").replaceAll(marker, "\x1b"));
  });
  const shield = (a: unknown) => typeof a === "string" ? a.replaceAll("\x1b", marker) : a;
  const con: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(inner)) {
    if (typeof fn === "function") con[name] = (...a: unknown[]) => fn(...a.map(shield));
  }
  return con as unknown as Console;
}

/** A console of our own over `write` (see the module doc). */
function ownConsole(write: Write): Console {
  let indent = "";
  const counts = new Map<string, number>();
  const timers = new Map<string, number>();
  const emit = (fd: 1 | 2, args: unknown[]) => {
    const text = formatArgs(args);
    write(fd, (indent ? text.split("\n").map((l) => indent + l).join("\n") : text) + "\n");
  };
  const c = {
    log: (...a: unknown[]) => emit(1, a),
    info: (...a: unknown[]) => emit(1, a),
    debug: (...a: unknown[]) => emit(1, a),
    error: (...a: unknown[]) => emit(2, a),
    warn: (...a: unknown[]) => emit(2, a),
    dir: (v: unknown) => emit(1, [inspect(v)]),
    dirxml: (...a: unknown[]) => emit(1, a),
    table: (data: unknown) => emit(1, [inspect(data)]),
    trace: (...a: unknown[]) => {
      const stack = (new Error().stack ?? "").split("\n").slice(2).join("\n");
      emit(2, [`Trace${a.length ? ": " + formatArgs(a) : ""}\n${stack}`]);
    },
    assert: (cond?: boolean, ...a: unknown[]) => {
      if (!cond) emit(2, a.length ? ["Assertion failed:", ...a] : ["Assertion failed"]);
    },
    count: (label = "default") => {
      const n = (counts.get(label) ?? 0) + 1;
      counts.set(label, n);
      emit(1, [`${label}: ${n}`]);
    },
    countReset: (label = "default") => void counts.delete(label),
    group: (...a: unknown[]) => {
      if (a.length) emit(1, a);
      indent += "  ";
    },
    groupCollapsed: (...a: unknown[]) => c.group(...a),
    groupEnd: () => void (indent = indent.slice(2)),
    time: (label = "default") => void timers.set(label, performance.now()),
    timeLog: (label = "default", ...a: unknown[]) => {
      const t0 = timers.get(label);
      if (t0 !== undefined) emit(1, [`${label}: ${(performance.now() - t0).toFixed(0)}ms`, ...a]);
    },
    timeEnd: (label = "default") => {
      c.timeLog(label);
      timers.delete(label);
    },
    clear: () => {},
    profile: () => {},
    profileEnd: () => {},
    timeStamp: () => {},
  };
  return c as unknown as Console;
}
