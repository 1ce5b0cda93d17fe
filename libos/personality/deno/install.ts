/**
 * Install the Deno personality: replace the `Deno` namespace members (writable in a Worker)
 * and `globalThis.console` so an unmodified Deno script runs on the sandbox's VFS, fds and
 * environment. APIs the libOS does not virtualize throw NotCapable instead of reaching the host.
 */
import type { Libos } from "../../libos.ts";
import type { DenoCtx } from "./ctx.ts";
import { makeConsole } from "./console.ts";
import { dirFunctions } from "./dir.ts";
import { fsFunctions } from "./fs.ts";
import { SandboxFsFile } from "./fs_file.ts";
import { DENIED, denied, makeEnv } from "./process.ts";
import { commandApi } from "./command.ts";
import { netApi } from "./net.ts";

const enc = new TextEncoder();

function define(target: object, name: string, value: unknown): void {
  Object.defineProperty(target, name, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/** Replace `Deno.*` and `console` for the app of `os`. */
export function installDeno(os: Libos): void {
  const ctx: DenoCtx = { sys: os.sys, live: os.live };
  const D = Deno as unknown as Record<string, unknown>;
  os.live.installTimers(Deno);
  os.live.installAsyncBuiltins();
  const env = makeEnv(os.kernel.env);
  const members: Record<string, unknown> = {
    ...fsFunctions(ctx),
    ...dirFunctions(ctx, env),
    FsFile: SandboxFsFile,
    env,
    args: os.init.argv.slice(1),
    pid: os.init.pid,
    ppid: os.init.ppid,
    mainModule: `file://${os.init.exePath.startsWith("/") ? "" : "/"}${os.init.exePath}`,
    noColor: true,
    exit: (code = 0) => os.exit(code),
    umask: (mask?: number) => {
      const old = os.sys.umask(mask ?? 0);
      if (mask === undefined) os.sys.umask(old);
      return old;
    },
    stdin: new SandboxFsFile(ctx, 0),
    stdout: new SandboxFsFile(ctx, 1),
    stderr: new SandboxFsFile(ctx, 2),
  };
  for (const name of DENIED) members[name] = denied(name);
  Object.assign(members, netApi(ctx));
  Object.assign(
    members,
    commandApi({
      ...ctx,
      signals: os.kernel.signals,
      env: () => env.toObject(),
      cwd: () => os.sys.getcwd(),
    }),
  );
  for (const [k, v] of Object.entries(members)) define(D, k, v);
  const con = makeConsole((fd, text) => {
    try {
      os.sys.write(fd, enc.encode(text));
    } catch (_e) {
      // Output is gone (closed fd, or the host's output limit): console never throws.
    }
  });
  define(globalThis, "console", con);
}
