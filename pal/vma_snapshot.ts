/**
 * The copy of an address space that fork hands to its child: its format, the check of one that
 * arrives from elsewhere (it crosses processes serialized, so the child validates it before mapping
 * anything), and the child's new space made from it. pal/vma_shared.ts `snapshot` makes one.
 * @module
 */
import { PalCode, PalError } from "./errors.ts";
import { checkProt, PAGE_SIZE, Prot } from "./vma.ts";
import { type QuotaHooks, type SegmentHooks, SharedAddressSpace } from "./vma_shared.ts";

/**
 * A copy of an address space (fork): its size, each private region with its bytes, and each
 * shared region by its segment (the child maps the same segment: the host hands it over).
 */
export interface SpaceSnapshot {
  readonly maxBytes: number;
  readonly maxRegions: number;
  readonly regions: readonly {
    readonly addr: number;
    readonly prot: number;
    readonly bytes: Uint8Array;
  }[];
  readonly shared?: readonly SharedRegionRef[];
}

/** A shared region in a snapshot: `size` bytes at `addr`, segment `seg` from page `segPage`. */
export interface SharedRegionRef {
  readonly addr: number;
  readonly size: number;
  readonly prot: number;
  readonly seg: number;
  readonly segPage: number;
}

/**
 * Check the shape of a snapshot (addresses, sizes and protections are checked again as each
 * region is mapped).
 * @throws {PalError} BAD_MESSAGE for a malformed snapshot
 */
function checkSnapshot(snap: SpaceSnapshot): void {
  const ok = typeof snap === "object" && snap !== null && Array.isArray(snap.regions) &&
    snap.regions.every((r) =>
      typeof r === "object" && r !== null && r.bytes instanceof Uint8Array &&
      r.bytes.length > 0 && r.bytes.length % PAGE_SIZE === 0 && Number.isInteger(r.addr)
    ) &&
    (snap.shared === undefined ||
      Array.isArray(snap.shared) &&
        snap.shared.every((r) =>
          typeof r === "object" && r !== null && Number.isInteger(r.addr) &&
          Number.isInteger(r.size) && r.size > 0 && r.size % PAGE_SIZE === 0 &&
          Number.isSafeInteger(r.seg) && r.seg > 0 && Number.isInteger(r.segPage) &&
          r.segPage >= 0
        ));
  if (!ok) throw new PalError(PalCode.BAD_MESSAGE, "address space: bad snapshot");
}

/**
 * A new space holding a copy of `snap` (the child of a fork): every private region is mapped
 * again at its address (charging `quota`), filled, then given its protection; every shared region
 * maps the same segment (through `segments`, uncharged).
 * @throws {PalError} BAD_MESSAGE for a malformed snapshot; INVAL, OVERLAP, NO_MEM, QUOTA
 */
export function restoreSpace(
  snap: SpaceSnapshot,
  quota: QuotaHooks | null,
  segments: SegmentHooks | null = null,
): SharedAddressSpace {
  checkSnapshot(snap);
  const as = SharedAddressSpace.create({
    maxBytes: snap.maxBytes,
    maxRegions: snap.maxRegions,
    quota,
    segments,
  });
  const rw = Prot.READ | Prot.WRITE;
  for (const r of snap.regions) {
    checkProt(r.prot); // before anything is charged
    as.alloc(r.bytes.length, { addr: r.addr, prot: rw });
    as.write(r.addr, r.bytes);
    if (r.prot !== rw) as.protect(r.addr, r.bytes.length, r.prot);
  }
  for (const r of snap.shared ?? []) as.mapInherited(r);
  return as;
}
