/**
 * A picoprocess's channel to its host: its call page, the sandbox's doorbell and a sync port
 * (`PoolChannel`). A pooled Worker gets its channel ahead, with `WARM_UP` (proc_pool.ts), and
 * its page is attached as a *warming* page meanwhile: the host serves it for `WARM_CALLS` alone
 * (libos/init.ts: the calls a Worker makes while it warms up), with no owner, until the process
 * that takes the Worker adopts it (pal/host/server.ts `attachWarming`, `adopt`).
 * @module
 */
import { WARM_CALLS } from "../../libos/init.ts";
import type { RingServer } from "../../pal/host/server.ts";
import { createPage, DEFAULT_GEOMETRY } from "../../pal/ring.ts";
import type { PoolChannel } from "./proc_pool.ts";

/** A fresh call page and sync port (the host keeps `host`). */
export function newChannel(doorbell: SharedArrayBuffer): PoolChannel {
  const ch = new MessageChannel();
  const page = createPage(DEFAULT_GEOMETRY);
  return { guest: { page, doorbell, syncPort: ch.port2 }, host: ch.port1 };
}

/** A pooled Worker's channel: its page is served for `WARM_CALLS` alone until it is adopted. */
export function warmingChannel<P>(server: RingServer<P>, doorbell: SharedArrayBuffer): PoolChannel {
  const ch = newChannel(doorbell);
  ch.warm = server.attachWarming(ch.guest.page, DEFAULT_GEOMETRY, ch.host, WARM_CALLS);
  return ch;
}

/** Serve `ch`'s page as `owner`'s: adopt it if it is warming, else attach it. @returns its token */
export function attachChannel<P>(server: RingServer<P>, ch: PoolChannel, owner: P): object {
  if (!ch.warm) return server.attach(ch.guest.page, DEFAULT_GEOMETRY, owner, ch.host);
  const token = server.adopt(ch.warm, owner);
  ch.warm = null;
  return token;
}

/** Let go of the channel of a Worker the pool drops: its warming page and its port. */
export function releaseChannel<P>(server: RingServer<P>, ch: PoolChannel): void {
  if (ch.warm) server.detach(ch.warm);
  ch.warm = null;
  ch.host.close();
}
