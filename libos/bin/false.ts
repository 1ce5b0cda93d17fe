/** false: exit 1. */

/** Exit 1. */
export function main(): number {
  return 1;
}
