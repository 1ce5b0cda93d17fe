/**
 * Parsing of PAL stream URIs. Guest-controlled: every form is validated here.
 * - `file://<mount id>/<rel>` and `dir://<mount id>/<rel>`: a file or directory of a mount.
 * - `dev:<name>`: null, zero, random, stdin, stdout, stderr, tty.
 * - `tcp:<host>:<port>`, `tcp.srv:<host>:<port>`, `udp:<host>:<port>`, `udp.srv:<host>:<port>`.
 */
import { PalCode, PalError } from "../errors.ts";
import type { DevName } from "./handles.ts";

/** A parsed URI. */
export type ParsedUri =
  | { readonly scheme: "file" | "dir"; readonly mount: number; readonly rel: string }
  | { readonly scheme: "dev"; readonly dev: DevName }
  | {
    readonly scheme: "tcp" | "tcp.srv" | "udp" | "udp.srv";
    readonly host: string;
    readonly port: number;
  };

const DEVS = new Set(["null", "zero", "random", "stdin", "stdout", "stderr", "tty"]);
const FS_RE = /^(file|dir):\/\/(\d{1,6})\/(.*)$/s;
const NET_RE = /^(tcp|tcp\.srv|udp|udp\.srv):(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/;

/** Parse a URI or throw INVAL. Relative paths are checked by the backends. */
export function parseUri(uri: string): ParsedUri {
  const fs = FS_RE.exec(uri);
  if (fs) {
    return { scheme: fs[1] as "file" | "dir", mount: Number(fs[2]), rel: fs[3]! };
  }
  if (uri.startsWith("dev:")) {
    const dev = uri.slice(4);
    if (!DEVS.has(dev)) throw new PalError(PalCode.NOT_FOUND, `no device ${dev}`);
    return { scheme: "dev", dev: dev as DevName };
  }
  const net = NET_RE.exec(uri);
  if (net) {
    const port = Number(net[3]);
    if (port > 65535) throw new PalError(PalCode.INVAL, `bad port in ${uri}`);
    const host = net[2]!.startsWith("[") ? net[2]!.slice(1, -1) : net[2]!;
    return { scheme: net[1] as "tcp", host, port };
  }
  throw new PalError(PalCode.INVAL, `malformed URI ${JSON.stringify(uri.slice(0, 100))}`);
}
