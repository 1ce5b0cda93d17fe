/** Unit tests of the WASI layer over a fake libOS: no files, no sandbox. */
import assert from "node:assert/strict";
import { fakeSys } from "./fake_sys.ts";
import {
  EXIT_LOAD_ERROR,
  EXIT_TRAP,
  GuestMemory,
  linuxToWasi,
  runWasi,
  WASI_FUNCTIONS,
  WasiErrno,
  WasiError,
} from "../../libos/personality/wasi/mod.ts";
import { Errno } from "../../libos/errno.ts";

const fixture = (name: string) =>
  Deno.readFileSync(new URL(`./fixtures/${name}.wasm`, import.meta.url));

Deno.test("the import table has the 46 preview1 functions", () => {
  assert.equal(WASI_FUNCTIONS.length, 46);
  assert.equal(new Set(WASI_FUNCTIONS).size, 46);
});

Deno.test("linuxToWasi maps errnos, unknown ones to io", () => {
  assert.equal(linuxToWasi(Errno.ENOENT), WasiErrno.NOENT);
  assert.equal(linuxToWasi(Errno.ENOTCAPABLE), WasiErrno.NOTCAPABLE);
  assert.equal(linuxToWasi(Errno.EFAULT), WasiErrno.FAULT);
  assert.equal(linuxToWasi(9999), WasiErrno.IO);
});

Deno.test("GuestMemory refuses ranges outside memory with fault", () => {
  const m = new GuestMemory();
  m.bind(new WebAssembly.Memory({ initial: 1 }));
  assert.equal(m.bytes(65535, 1).length, 1);
  for (const [p, n] of [[65536, 1], [65530, 7], [-1, 1], [0, 0x7fffffff]]) {
    assert.throws(() => m.bytes(p!, n!), (e) => e instanceof WasiError && e.errno === 21);
  }
  assert.throws(() => m.setU64(65532, 1n), (e) => e instanceof WasiError && e.errno === 21);
});

Deno.test("GuestMemory sees memory growth", () => {
  const mem = new WebAssembly.Memory({ initial: 1 });
  const m = new GuestMemory();
  m.bind(mem);
  mem.grow(1);
  m.setU32(70000, 7);
  assert.equal(m.u32(70000), 7);
});

Deno.test("a C program gets argv and environ and its exit status", () => {
  const f = fakeSys();
  const code = runWasi(f.sys, fixture("hello"), {
    argv: ["hello", "a b", "ü"],
    env: { GREETING: "hi there" },
    preopens: [],
  });
  assert.equal(code, 3);
  assert.equal(f.stdout(), "arg0=hello\narg1=a b\narg2=ü\nGREETING=hi there\n");
  assert.equal(f.stderr(), "to stderr\n");
});

Deno.test("stdin is read to its end", () => {
  const f = fakeSys("some input that is longer than one read");
  assert.equal(runWasi(f.sys, fixture("cat"), { argv: ["cat"], env: {}, preopens: [] }), 0);
  assert.equal(f.stdout(), "some input that is longer than one read");
  assert.equal(f.stderr(), "copied 39\n");
});

Deno.test("out-of-bounds pointers and lengths answer fault and the program lives on", () => {
  const f = fakeSys();
  assert.equal(runWasi(f.sys, fixture("badptr"), { argv: ["b"], env: {}, preopens: [] }), 0);
  const lines = f.stdout().trim().split("\n");
  assert.equal(lines.at(-1), "alive");
  for (const l of lines.slice(0, -1)) {
    const [name, v] = l.split("=");
    // without a preopen fd 3 is not open: path_open answers badf before looking at memory
    const want = name!.startsWith("path_open") ? WasiErrno.BADF : WasiErrno.FAULT;
    assert.equal(Number(v), want, l);
  }
});

Deno.test("a trap prints a clear error and exits 134", () => {
  const f = fakeSys();
  assert.equal(runWasi(f.sys, fixture("trap"), { argv: ["t"], env: {}, preopens: [] }), EXIT_TRAP);
  assert.equal(f.stdout(), "before trap\n");
  assert.match(f.stderr(), /^sandpiper: wasm trap: unreachable/);
});

Deno.test("bad modules do not run: not wasm, unknown imports", async (t) => {
  await t.step("not wasm", () => {
    const f = fakeSys();
    const code = runWasi(f.sys, new TextEncoder().encode("#!/bin/sh\necho hi\n"), {
      argv: ["x"],
      env: {},
      preopens: [],
    });
    assert.equal(code, EXIT_LOAD_ERROR);
    assert.match(f.stderr(), /^sandpiper: cannot run x: not a valid WebAssembly module/);
  });
  await t.step("unknown import", () => {
    const f = fakeSys();
    const code = runWasi(f.sys, fixture("unknown_import"), { argv: ["u"], env: {}, preopens: [] });
    assert.equal(code, EXIT_LOAD_ERROR);
    assert.match(f.stderr(), /unknown imports: env\.does_not_exist \(function\)/);
  });
  await t.step("no _start", () => {
    const f = fakeSys();
    // (module (memory (export "memory") 1))
    const bytes = new Uint8Array([
      0,
      97,
      115,
      109,
      1,
      0,
      0,
      0,
      5,
      3,
      1,
      0,
      1,
      7,
      10,
      1,
      6,
      109,
      101,
      109,
      111,
      114,
      121,
      2,
      0,
    ]);
    assert.equal(runWasi(f.sys, bytes, { argv: ["r"], env: {}, preopens: [] }), EXIT_LOAD_ERROR);
    assert.match(f.stderr(), /no _start/);
  });
});
