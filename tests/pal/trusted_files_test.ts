/** Trusted files: hash checks at open, per-chunk checks on reads, and ChrootFs integration. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { PalCode } from "../../pal/errors.ts";
import { ChrootFs } from "../../pal/host/chrootfs.ts";
import { TrustedFile } from "../../pal/host/trusted_files.ts";
import { loadNodeCrypto } from "../../pal/host/lazy_node.ts";
import { assertPal, bytes, readAll } from "./fs_conformance_util.ts";

// A host loads it before it serves when its manifest lists trusted files (lazy_node.ts).
await loadNodeCrypto();

const hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Deterministic pseudo-random bytes. */
function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function withDir(fn: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = Deno.makeTempDirSync({ prefix: "sandpiper-trusted-" });
    try {
      await fn(dir);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  };
}

Deno.test(
  "trusted file: a small file with the listed hash opens and reads",
  withDir((dir) => {
    const data = bytes("#!/bin/trusted\n");
    Deno.writeFileSync(`${dir}/s`, data);
    const f = new TrustedFile("s", hex(data).toUpperCase()).openPath(`${dir}/s`);
    assert.equal(readAll(f), "#!/bin/trusted\n");
    assert.equal(f.stat().size, data.length);
    assertPal(() => f.pwrite(bytes("x"), 0), PalCode.BAD_HANDLE);
    f.close();
    assertPal(() => f.pread(new Uint8Array(1), 0), PalCode.BAD_HANDLE);
  }),
);

Deno.test(
  "trusted file: a hash mismatch is DENIED and names the file",
  withDir((dir) => {
    Deno.writeFileSync(`${dir}/s`, bytes("tampered"));
    Deno.writeFileSync(`${dir}/big`, pattern(3 << 20));
    const wrong = hex(bytes("original"));
    const e = assertPal(
      () => new TrustedFile("lib/s.so", wrong).openPath(`${dir}/s`),
      PalCode.DENIED,
    );
    assert.match(e.message, /lib\/s\.so/);
    assert.match(e.message, /does not match/);
    assertPal(() => new TrustedFile("big", wrong).openPath(`${dir}/big`), PalCode.DENIED);
    assertPal(() => new TrustedFile("s", "xyz"), PalCode.INVAL);
  }),
);

Deno.test(
  "trusted file: a large file is hashed in one pass, then reads check only their chunks",
  withDir((dir) => {
    const data = pattern((3 << 20) + 12345);
    const path = `${dir}/big`;
    Deno.writeFileSync(path, data);
    const tf = new TrustedFile("big", hex(data));
    const f = tf.openPath(path);
    assert.equal(tf.passes, 1);
    assert.equal(f.stat().size, data.length);
    const buf = new Uint8Array(100_000);
    assert.equal(f.pread(buf, 65_000), buf.length);
    assert.deepEqual(buf, data.subarray(65_000, 165_000));
    assert.equal(f.pread(buf, data.length - 10), 10);
    assert.deepEqual(buf.subarray(0, 10), data.subarray(data.length - 10));
    assert.equal(f.pread(buf, data.length + 5), 0);
    f.close();
    tf.openPath(path).close();
    assert.equal(tf.passes, 1, "an unchanged file is not hashed again");
  }),
);

Deno.test(
  "trusted file: a chunk changed behind an unchanged fingerprint fails on read",
  withDir((dir) => {
    const data = pattern(2 << 20);
    const path = `${dir}/big`;
    Deno.writeFileSync(path, data);
    const tf = new TrustedFile("big", hex(data));
    const f = tf.openPath(path);
    // Change one byte in place through another descriptor (same inode, same size).
    const w = Deno.openSync(path, { write: true });
    w.seekSync(1_000_000, Deno.SeekMode.Start);
    w.writeSync(new Uint8Array([data[1_000_000]! ^ 0xff]));
    w.close();
    const buf = new Uint8Array(16);
    assert.equal(f.pread(buf, 0), 16, "untouched chunks still read");
    const e = assertPal(() => f.pread(buf, 1_000_000 - 4), PalCode.DENIED);
    assert.match(e.message, /big/);
    f.close();
    assertPal(() => tf.openPath(path), PalCode.DENIED); // new mtime: a new pass, which fails
    assert.equal(tf.passes, 2);
  }),
);

Deno.test(
  "trusted file: ChrootFs serves listed files verified and never writable",
  withDir((dir) => {
    const good = bytes("good bytes");
    Deno.mkdirSync(`${dir}/lib`);
    Deno.writeFileSync(`${dir}/lib/ok.so`, good);
    Deno.writeFileSync(`${dir}/lib/bad.so`, bytes("evil bytes"));
    const trustedFiles = new Map([
      ["lib/ok.so", new TrustedFile("lib/ok.so", hex(good))],
      ["lib/bad.so", new TrustedFile("lib/bad.so", hex(good))],
    ]);
    const fs = new ChrootFs({ hostRoot: dir, readonly: false, trustedFiles });
    const f = fs.open("lib/ok.so", { read: true }, 0);
    assert.equal(readAll(f), "good bytes");
    f.close();
    assertPal(() => fs.open("lib/bad.so", { read: true }, 0), PalCode.DENIED);
    assertPal(() => fs.open("lib/ok.so", { read: true, write: true }, 0), PalCode.DENIED);
    assertPal(() => fs.open("lib/ok.so", { write: true, truncate: true }, 0), PalCode.DENIED);
    assert.deepEqual(Deno.readFileSync(`${dir}/lib/ok.so`), good);
  }),
);
