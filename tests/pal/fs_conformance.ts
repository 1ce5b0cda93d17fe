/**
 * The conformance suite every host file-system backend runs (`runFsConformance`). Each case is
 * one Deno.test named `<backend>: <case>`; `skip` ignores named cases with a stated reason.
 * Cases: fs_conformance_files.ts (file data), fs_conformance_tree.ts (names and links),
 * fs_conformance_hostile.ts (read-only mounts and hostile paths).
 * @module
 */
import type { FsBackend } from "../../pal/host/fs_types.ts";
import { FILE_CASES } from "./fs_conformance_files.ts";
import { HOSTILE_CASES } from "./fs_conformance_hostile.ts";
import { TREE_CASES } from "./fs_conformance_tree.ts";
import type { FsCase } from "./fs_conformance_util.ts";

export type { FsFixture, FsMaker } from "./fs_conformance_util.ts";
import type { FsMaker } from "./fs_conformance_util.ts";

/** Options of {@link runFsConformance}. */
export interface FsConformanceOptions {
  /** Backend name, the prefix of every test name. */
  name: string;
  /** Make a fresh, empty backend (read-only when asked) and its cleanup. */
  makeFs: FsMaker;
  /** Cases this backend does not run, and why. */
  skip?: { reason: string; tests: string[] }[];
}

/** Every case of the suite, by name. */
export const ALL_CASES: readonly FsCase[] = [...FILE_CASES, ...TREE_CASES, ...HOSTILE_CASES];

/**
 * Register the conformance suite for one backend.
 * @throws {Error} if `skip` names a case that does not exist
 */
export function runFsConformance(opts: FsConformanceOptions): void {
  const skipped = new Map<string, string>();
  for (const s of opts.skip ?? []) for (const t of s.tests) skipped.set(t, s.reason);
  for (const name of skipped.keys()) {
    if (!ALL_CASES.some((c) => c.name === name)) {
      throw new Error(`unknown conformance case ${name}`);
    }
  }
  for (const c of ALL_CASES) {
    const reason = skipped.get(c.name);
    Deno.test({
      name: `${opts.name}: ${c.name}${reason === undefined ? "" : ` (skipped: ${reason})`}`,
      ignore: reason !== undefined,
      fn: async (t) => {
        const fixtures: { cleanup: () => void | Promise<void> }[] = [];
        const make = async (o: { readonly: boolean }): Promise<FsBackend> => {
          const f = await opts.makeFs(o);
          fixtures.push(f);
          return f.fs;
        };
        try {
          await c.run(t, make);
        } finally {
          for (const f of fixtures.reverse()) await f.cleanup();
        }
      },
    });
  }
}
