/** false: exit 1. */

/** Exit 1. */
export function main(): void {
  Deno.exit(1);
}
