/** true: exit 0. */

/** Exit 0. */
export function main(): number {
  return 0;
}
