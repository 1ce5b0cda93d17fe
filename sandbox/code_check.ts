/**
 * The app's code directory is the one host directory a picoprocess may read directly (Deno
 * loads the app's modules with the Worker's own permissions). Deno checks paths lexically and
 * follows symlinks, so a symlink in that directory pointing outside it would open a hole: refuse
 * to start such a sandbox.
 */
import { join, relative } from "node:path";
import { SandboxError } from "./errors_runtime.ts";

const MAX_ENTRIES = 20000;

/**
 * Check that no symlink under `codeDir` resolves outside it.
 * @throws {SandboxError} naming the link, or when the tree has more than 20,000 entries.
 */
export function checkCodeDir(codeDir: string): void {
  let seen = 0;
  const stack = [codeDir];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    for (const e of Deno.readDirSync(dir)) {
      if (++seen > MAX_ENTRIES) {
        throw new SandboxError(
          `loader.code: ${codeDir} has more than ${MAX_ENTRIES} entries; point loader.code at the app's own directory`,
        );
      }
      const p = join(dir, e.name);
      if (e.isSymlink) {
        let target: string;
        try {
          target = Deno.realPathSync(p);
        } catch (_e) {
          continue; // a dangling link reaches nothing
        }
        const rel = relative(codeDir, target);
        if (rel.startsWith("..") || rel.startsWith("/")) {
          throw new SandboxError(
            `loader.code: symlink ${p} points outside the code directory (to ${target}); ` +
              "the app could read through it",
          );
        }
      } else if (e.isDirectory) {
        stack.push(p);
      }
    }
  }
}
