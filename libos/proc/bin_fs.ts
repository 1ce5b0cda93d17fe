/**
 * /bin: a read-only generated directory naming the libOS's built-in programs. Each file holds a
 * `#!` line; running /bin/<name> (or <name> with /bin in PATH) starts the built-in.
 */
import { Errno } from "../errno.ts";
import { BUILTIN_NAMES } from "../bin/names.ts";
import { VirtualFs, type VNode } from "../vfs/virtual_fs.ts";

const BIN_DEV = 6;

const enc = new TextEncoder();

/** The /bin file system. */
export function binFs(): VirtualFs {
  // Built at the first lookup (see libos/vfs/proc_fs.ts).
  let root: VNode | null = null;
  const build = (): VNode => {
    const children = new Map<string, VNode>(
      BUILTIN_NAMES.map((name, i): [string, VNode] => [
        name,
        { type: "file", ino: 2 + i, content: () => enc.encode(`#!/sandpiper/builtin ${name}\n`) },
      ]),
    );
    // The sandbox's deno (Deno.execPath()): `deno run <script>` (libos/proc/process.ts).
    children.set("deno", {
      type: "file",
      ino: 2 + BUILTIN_NAMES.length,
      content: () => enc.encode("#!/sandpiper/deno run <script>\n"),
    });
    return { type: "dir", ino: 1, children: () => children };
  };
  return new VirtualFs("binfs", BIN_DEV, () => (root ??= build()), Errno.EROFS);
}
