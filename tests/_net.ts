/** Network helpers shared by the tests (127.0.0.1 only). */

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
