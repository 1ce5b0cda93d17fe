/** What host handlers know of the picoprocess that called and of its sandbox. */
import type { FileEpochs } from "./file_epochs.ts";
import type { FsBackend } from "./fs_types.ts";
import type { HandleTable } from "./handles.ts";

/** A bound mount. */
export interface BoundMount {
  readonly backend: FsBackend;
  readonly readonly: boolean;
  readonly kind: "chroot" | "tmpfs";
  /** Whether guests may read its files ahead (manifest `readahead`, default on). */
  readonly readahead: boolean;
}

/** One audit record (a bind that was granted or denied). */
export interface AuditEvent {
  readonly what: string;
  readonly target: string;
  readonly result: "granted" | "denied";
  readonly reason?: string;
}

/** Services of the sandbox host that PAL handlers use. */
export interface HostServices {
  readonly sandboxId: string;
  /** The sandbox's file epoch table (absent: guests get no read-ahead). */
  readonly epochs?: FileEpochs | undefined;
  /** Bytes of file data a process's first reading thread may keep (manifest `fs.read_cache`). */
  readonly readCacheBytes?: number | undefined;
  mount(id: number): BoundMount | undefined;
  /** Write app output; throws PalError QUOTA past the sandbox's output limit. */
  output(pid: number, fd: 1 | 2, data: Uint8Array): void;
  /** Next chunk of the sandbox's stdin (≤ max bytes); null at EOF. */
  readStdin(pid: number, max: number): Promise<Uint8Array | null>;
  /** Readiness of stdin: data buffered, EOF seen, or a promise that settles on either. */
  stdinPoll(pid: number): { ready: boolean; wait: Promise<void> | null };
  /** Whether the manifest grants `host:port` for connect or listen (`"revoked"`: no longer). */
  netAllowed(kind: "connect" | "listen", host: string, port: number): boolean | "revoked";
  /** Record a bind decision in the audit log (no-op when the log is off). */
  audit(pid: number, ev: AuditEvent): void;
  /** A line for the trace. */
  trace(pid: number, line: string): void;
}

/** The caller of a PAL host call. */
export interface HostProcess {
  readonly pid: number;
  readonly handles: HandleTable;
  readonly services: HostServices;
}
