/** The opt-in JSONL audit log of a sandbox: one line per granted or denied bind. */

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
