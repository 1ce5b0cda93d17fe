/** true: exit 0. */

/** Exit 0. */
export function main(): void {
  Deno.exit(0);
}
