/** true: exit 0. */
Deno.exit(0);
