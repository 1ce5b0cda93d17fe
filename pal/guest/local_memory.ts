/**
 * Guest-served memory calls over the process's shared address space (pal/vma_shared.ts).
 * Calls here: vma_alloc, vma_free, vma_protect, vma_query. The quota is charged on the host
 * (`mem_reserve`/`mem_release`) before a mapping is made.
 */
import { PalCode, PalError } from "../errors.ts";
import type { LocalTable } from "./local_state.ts";

/** `vma_alloc` flag: MAP_SHARED (a fork child maps the same memory; pal/vma_shared.ts). */
export const VMA_SHARED = 1;
/** `vma_alloc` flags; any other bit is INVAL. */
export const VMA_FLAGS_KNOWN = VMA_SHARED;

/** The memory calls. */
export const memoryCalls = {
  vma_alloc(s, size, addr, prot, flags) {
    if ((flags & ~VMA_FLAGS_KNOWN) !== 0) throw new PalError(PalCode.INVAL, `bad flags ${flags}`);
    const shared = (flags & VMA_SHARED) !== 0;
    return s.space.alloc(size, addr === -1 ? { prot, shared } : { addr, prot, shared });
  },
  vma_free(s, addr, size) {
    s.space.free(addr, size);
  },
  vma_protect(s, addr, size, prot) {
    s.space.protect(addr, size, prot);
  },
  vma_query(s, addr) {
    return s.space.query(addr);
  },
} satisfies Pick<LocalTable, "vma_alloc" | "vma_free" | "vma_protect" | "vma_query">;
