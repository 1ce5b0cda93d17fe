/**
 * Observability of a sandbox: the opt-in JSONL audit log (one line per granted or denied bind)
 * and the strace-like line format of `sandpiper run --trace`.
 */
import { palCodeName } from "../../pal/errors.ts";

/** One audit line. */
export interface AuditRecord {
  readonly sandbox: string;
  readonly pid: number;
  readonly what: string;
  readonly target: string;
  readonly result: "granted" | "denied";
  readonly reason?: string;
  readonly time: string;
}

/** Appends records to a file; write errors are reported once on stderr, never thrown. */
export class AuditLog {
  #file: Deno.FsFile | null;
  readonly #enc = new TextEncoder();

  constructor(path: string) {
    this.#file = Deno.openSync(path, { append: true, create: true });
  }

  /** Append one record. */
  write(rec: AuditRecord): void {
    if (!this.#file) return;
    try {
      this.#file.writeSync(this.#enc.encode(JSON.stringify(rec) + "\n"));
    } catch (e) {
      console.error(`sandpiper: audit log write failed: ${e instanceof Error ? e.message : e}`);
      this.close();
    }
  }

  /** Close the log. */
  close(): void {
    try {
      this.#file?.close();
    } catch (_e) {
      // closing twice after a failed write: nothing to release
    }
    this.#file = null;
  }
}

const TRACE_STR_MAX = 80;

/**
 * One strace-like trace line for a served PAL call: `stream_open("file://1/a", 0x1, 0o644) = 3`,
 * or `= -7 NOT_FOUND (no such file)` on failure. Strings and JSON are cut at 80 characters, byte
 * buffers shown by length.
 * @example
 * ```ts
 * import { formatCall } from "./audit.ts";
 * console.assert(formatCall("stream_close", [3], 0, undefined) === "stream_close(3) = 0");
 * ```
 */
export function formatCall(
  name: string | number,
  args: readonly unknown[] | null,
  result: number,
  value: unknown,
): string {
  const shown = args === null ? "<malformed>" : args.map(traceArg).join(", ");
  if (result < 0) {
    const msg = value instanceof Error ? ` (${value.message.slice(0, TRACE_STR_MAX)})` : "";
    return `${name}(${shown}) = ${result} ${palCodeName(-result)}${msg}`;
  }
  return `${name}(${shown}) = ${traceValue(value)}`;
}

function traceArg(a: unknown): string {
  if (typeof a === "string") return cut(JSON.stringify(a));
  if (a instanceof Uint8Array) return `<${a.length} bytes>`;
  if (typeof a === "number") return String(a);
  return cut(JSON.stringify(a) ?? String(a));
}

function traceValue(v: unknown): string {
  if (v === undefined || v === null) return "0";
  if (typeof v === "number") return String(v);
  return cut(JSON.stringify(v) ?? String(v));
}

function cut(s: string): string {
  return s.length > TRACE_STR_MAX ? `${s.slice(0, TRACE_STR_MAX)}…` : s;
}
