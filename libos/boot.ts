/**
 * The picoprocess entry: the first module of every picoprocess Worker. It waits for the host's
 * init message (libos/init.ts), connects the PAL client, boots the libOS and runs the app under
 * the personality it was written for. Only literal imports here: they load with the host's
 * permissions as part of this module's graph; the app itself is imported with the Worker's own.
 */
import { PalClient } from "../pal/guest/client.ts";
import type { InitMessage } from "./init.ts";
import { Libos } from "./libos.ts";
import { workerScope } from "../pal/worker_scope.ts";

workerScope.onmessage = async (e: MessageEvent) => {
  const init = e.data as InitMessage;
  if (init?.type !== "init") return;
  workerScope.onmessage = null;
  const pal = new PalClient(init.channel);
  const os = new Libos(init, pal);
  if (init.entry.endsWith(".wasm")) {
    const { runWasiEntry } = await import("./personality/wasi/entry.ts");
    await runWasiEntry(os, init);
    return;
  }
  os.installDenoPersonality();
  if (init.plugin) {
    const { servePlugin } = await import("./plugin_guest.ts");
    await servePlugin(os, init.plugin, init.entry);
    return;
  }
  await os.runModule(init.entry);
};
