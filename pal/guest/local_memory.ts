/**
 * Guest-served memory calls over the process's shared address space (pal/vma_shared.ts).
 * Calls here: vma_alloc, vma_free, vma_protect, vma_query. The quota is charged on the host
 * (`mem_reserve`/`mem_release`) before a mapping is made.
 */
import { PalCode, PalError } from "../errors.ts";
import type { LocalTable } from "./local_state.ts";

/** `vma_alloc` flags; none are defined yet, so any bit is INVAL. */
export const VMA_FLAGS_KNOWN = 0;

/** The memory calls. */
export const memoryCalls = {
  vma_alloc(s, size, addr, prot, flags) {
    if ((flags & ~VMA_FLAGS_KNOWN) !== 0) throw new PalError(PalCode.INVAL, `bad flags ${flags}`);
    return s.space.alloc(size, addr === -1 ? { prot } : { addr, prot });
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
