/** Typed errors the embedding app receives from a running sandbox. */
import type { LimitName } from "./host/protocol.ts";

/** A sandbox could not do what was asked (spawn failed, sandbox closed, …). */
export class SandboxError extends Error {
  override name = "SandboxError";
}

/** A limit from the manifest was exceeded; `limit` names it (`max_output`, `wall_time`, …). */
export class LimitError extends SandboxError {
  override name = "LimitError";
  constructor(readonly limit: LimitName, message: string) {
    super(message);
  }
}
