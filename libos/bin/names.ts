/** Names of the libOS's built-in programs, shown at /bin (loaders in libos/bin/mod.ts). */
export const BUILTIN_NAMES = [
  "cat",
  "echo",
  "false",
  "grep",
  "head",
  "kill",
  "ls",
  "mkfifo",
  "ps",
  "sh",
  "sleep",
  "sort",
  "true",
  "wc",
] as const;

/** A built-in program name. */
export type BuiltinName = typeof BUILTIN_NAMES[number];

/** Whether `name` is a built-in program. */
export function isBuiltin(name: string): name is BuiltinName {
  return (BUILTIN_NAMES as readonly string[]).includes(name);
}

/** Entry URL scheme the host puts in the init message for a built-in program. */
export const BUILTIN_SCHEME = "sandpiper-bin:";
