/**
 * Host dispatch types, derived from the ABI table: what a host handler receives and returns.
 * `pal/host/server.ts` decodes a request into these arguments and encodes the result.
 */
import type { ABI, ArgType, HostCallName, ResultType } from "../abi.ts";

/** Everything a handler knows about the call it serves. */
export interface CallContext<Owner = unknown> {
  /** The picoprocess (or thread) that owns the call page. */
  readonly owner: Owner;
  /** Index of the slot serving this call (0 = the thread's synchronous slot). */
  readonly slot: number;
  /** The call page the call came on: the token `RingServer.attach` returned for it. */
  readonly page: object;
  /** Attach a value to the response; the guest receives it synchronously on its sync port. */
  transfer(value: unknown, transfer?: Transferable[]): void;
  /** The write-behind buffer of the call page (`openPostBuffer`), or null. */
  readonly postBuffer: SharedArrayBuffer | null;
  /**
   * Give the call page a write-behind buffer of `bytes` (once: EXISTS after). From then on the
   * server runs the page's posted calls before any other page's call (server.ts).
   */
  openPostBuffer(bytes: number): SharedArrayBuffer;
}

type HostArg<T extends ArgType> = T extends "int" ? number
  : T extends "str" ? string
  : T extends "bytes" ? Uint8Array
  : T extends "out" ? Uint8Array
  : unknown;
type HostArgs<A extends readonly ArgType[]> = { -readonly [I in keyof A]: HostArg<A[I]> };
type HostResult<R extends ResultType> = R extends "void" ? void
  : R extends "int" ? number
  : R extends "str" ? string
  : R extends "bytes" ? number
  : unknown;

/** A handler: `out` arguments arrive as views to fill; a `bytes` result is the count written. */
export type HostHandler<K extends HostCallName, Owner = unknown> = (
  ctx: CallContext<Owner>,
  ...args: HostArgs<(typeof ABI)[K]["args"]>
) => HostResult<(typeof ABI)[K]["result"]> | Promise<HostResult<(typeof ABI)[K]["result"]>>;

/** Handlers by call name; a missing one answers NOT_IMPLEMENTED. */
export type HostHandlers<Owner = unknown> = {
  [K in HostCallName]?: HostHandler<K, Owner>;
};
