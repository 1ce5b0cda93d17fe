/**
 * Errors of the sandbox layer. Every problem with a manifest (TOML syntax, schema, files on the
 * host) is one `ManifestError` whose message names the manifest file and the offending key.
 */

/** Where a `ManifestError` points: the dotted key path and, for TOML syntax errors, the line. */
export interface ManifestErrorInit {
  /** Dotted key path of the offending entry, e.g. `fs.mounts[1].type`; `""` for the document. */
  readonly key: string;
  /** The manifest file, or `"<manifest>"` when the manifest did not come from a file. */
  readonly path: string;
  /** 1-based line of a TOML syntax error. */
  readonly line?: number;
  /** 1-based column of a TOML syntax error. */
  readonly column?: number;
  /** Every problem found, one line each, when there was more than one (`message` shows all). */
  readonly problems?: readonly string[];
}

/**
 * A manifest could not be parsed, validated or resolved against the host.
 *
 * The message reads `<file>: <key>: <what is wrong>`, one line per problem, with no stack trace
 * noise; `key`, `path` and (for syntax errors) `line`/`column` carry the same facts as fields.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManifestError } from "./errors.ts";
 * const e = new ManifestError("expected boolean", { key: "fs.discover", path: "app.toml" });
 * assert.ok(e.message === "app.toml: fs.discover: expected boolean");
 * ```
 */
export class ManifestError extends Error {
  override readonly name = "ManifestError";
  /** Dotted key path of the (first) offending entry; `""` for the whole document. */
  readonly key: string;
  /** The manifest file, or `"<manifest>"`. */
  readonly path: string;
  /** 1-based line of a TOML syntax error. */
  readonly line: number | undefined;
  /** 1-based column of a TOML syntax error. */
  readonly column: number | undefined;
  /** Every problem as `<key>: <what>` (at least one). */
  readonly problems: readonly string[];

  /**
   * @param detail what is wrong with the entry at `init.key` (without the key itself).
   * @param init where the problem is.
   */
  constructor(detail: string, init: ManifestErrorInit) {
    const first = init.key === "" ? detail : `${init.key}: ${detail}`;
    const problems = init.problems && init.problems.length > 0 ? init.problems : [first];
    const head = problems.length === 1
      ? `${init.path}: ${problems[0]}`
      : `${init.path}: ${problems.length} problems:\n  ${problems.join("\n  ")}`;
    super(head);
    this.key = init.key;
    this.path = init.path;
    this.line = init.line;
    this.column = init.column;
    this.problems = problems;
  }
}
