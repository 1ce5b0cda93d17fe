/**
 * A `console` writing to the picoprocess's fd 1 (log, info, debug, dir, table, trace…) and
 * fd 2 (error, warn, assert): format strings (%s %d %i %f %o %O %j %c %%) and `Deno.inspect`
 * for everything that is not a string.
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

/** A console over `write`. */
export function makeConsole(write: Write): Console {
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
      indent += "    ";
    },
    groupCollapsed: (...a: unknown[]) => c.group(...a),
    groupEnd: () => void (indent = indent.slice(4)),
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
