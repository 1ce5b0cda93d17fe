/** The WASI preview1 personality: run unmodified WASI programs over the libOS. */
export {
  compileWasi,
  EXIT_LOAD_ERROR,
  EXIT_TRAP,
  type ExtraImports,
  runWasi,
  WasiLoadError,
  type WasiOptions,
  type WasiPreopen,
} from "./run.ts";
export { WASI_FUNCTIONS, WASI_MODULE } from "./imports.ts";
export { GuestMemory } from "./memory.ts";
export { linuxToWasi, toWasiErrno, WasiError, WasiExit } from "./errno.ts";
export { WasiErrno } from "./constants.ts";
