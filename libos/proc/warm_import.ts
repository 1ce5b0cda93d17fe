/**
 * An empty module a pooled Worker imports while it warms up (libos/boot.ts): the first dynamic
 * import of a Worker pays for the loader's own code, and a process's program is one.
 */
export const WARM = true;
