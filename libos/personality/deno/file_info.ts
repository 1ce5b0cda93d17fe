/** libOS `Stat` → `Deno.FileInfo`. */
import { S, type Stat } from "../../sys/types.ts";

/** The Deno.FileInfo of a Stat. */
export function fileInfo(st: Stat): Deno.FileInfo {
  const t = st.mode & S.IFMT;
  const date = (ms: number) => new Date(ms);
  return {
    isFile: t === S.IFREG,
    isDirectory: t === S.IFDIR,
    isSymlink: t === S.IFLNK,
    size: st.size,
    mtime: date(st.mtimeMs),
    atime: date(st.atimeMs),
    birthtime: date(st.ctimeMs),
    ctime: date(st.ctimeMs),
    dev: st.dev,
    ino: st.ino,
    mode: st.mode,
    nlink: st.nlink,
    uid: st.uid,
    gid: st.gid,
    rdev: st.rdev,
    blksize: st.blksize,
    blocks: st.blocks,
    isBlockDevice: t === S.IFBLK,
    isCharDevice: t === S.IFCHR,
    isFifo: t === S.IFIFO,
    isSocket: t === S.IFSOCK,
  };
}
