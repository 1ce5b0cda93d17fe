/** false: exit 1. */
Deno.exit(1);
