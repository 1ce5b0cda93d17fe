/**
 * The authenticated frames between the embedding app and a host process (framing.ts): what a
 * guest that reaches the host process's stdio could do to the stream — write bytes of its own,
 * take a frame, replay one, move one from the other direction, change a byte — is refused.
 */
import assert from "node:assert/strict";
import {
  encodeFrame,
  FrameAuth,
  FrameDecoder,
  newChannelKey,
  TAG_BYTES,
} from "../../sandbox/host/framing.ts";
import { HmacSha256 } from "../../sandbox/host/hmac.ts";
import { loadNodeCrypto } from "../../pal/host/lazy_node.ts";

function channel() {
  const key = newChannelKey();
  return {
    key,
    send: new FrameAuth(key, "to-app"),
    recv: new FrameDecoder(new FrameAuth(key, "to-app")),
  };
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), at += p.length);
  return out;
};

Deno.test("frames: tagged frames pass in order, split anywhere, payloads intact", () => {
  const c = channel();
  const data = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);
  const bytes = concat(
    encodeFrame({ type: "ready" }, c.send),
    encodeFrame({ type: "stdout", pid: 1, data }, c.send),
    encodeFrame({ type: "exit", pid: 1, code: 0 }, c.send),
  );
  const got: unknown[] = [];
  for (let i = 0; i < bytes.length; i += 997) got.push(...c.recv.push(bytes.subarray(i, i + 997)));
  assert.equal(got.length, 3);
  assert.deepEqual((got[1] as { data: Uint8Array }).data, data);
  assert.deepEqual(got[2], { type: "exit", pid: 1, code: 0 });
});

Deno.test("frames hostile: forged, dropped, replayed, crossed and changed frames are refused", () => {
  const forge = (key: Uint8Array | null) =>
    key ? encodeFrame({ type: "exit", pid: 1, code: 42 }, new FrameAuth(key, "to-app")) : null;
  const cases: [string, (c: ReturnType<typeof channel>) => Uint8Array][] = [
    // a guest writing an untagged frame of its own between two of the host's
    [
      "untagged",
      (c) => concat(encodeFrame({ type: "ready" }, c.send), encodeFrame({ type: "exit", pid: 1 })),
    ],
    // tagged under a key the guest made up
    ["other key", (c) => concat(encodeFrame({ type: "ready" }, c.send), forge(newChannelKey())!)],
    // a frame taken off the stream: the next one's number no longer matches
    ["dropped", (c) => {
      encodeFrame({ type: "stdout", pid: 1, data: new Uint8Array(3) }, c.send);
      return encodeFrame({ type: "exit", pid: 1, code: 0 }, c.send);
    }],
    // the host's first frame again
    ["replayed", (c) => {
      const f = encodeFrame({ type: "ready" }, c.send);
      return concat(f, f);
    }],
    // a frame of the other direction (read off the host's stdin) written to its stdout
    ["crossed", (c) => encodeFrame({ type: "kill", pid: 1 }, new FrameAuth(c.key, "to-host"))],
    // bytes written into the middle of a frame
    ["changed", (c) => {
      const f = encodeFrame({ type: "exit", pid: 1, code: 0 }, c.send);
      f[12] = f[12]! ^ 1;
      return f;
    }],
    ["tag cut", (c) => {
      const f = encodeFrame({ type: "exit", pid: 1, code: 0 }, c.send);
      const v = new DataView(f.buffer);
      v.setUint32(0, v.getUint32(0, true) - TAG_BYTES, true);
      return f.subarray(0, f.length - TAG_BYTES);
    }],
  ];
  for (const [what, make] of cases) {
    const c = channel();
    const bytes = make(c);
    const accepted: unknown[] = [];
    assert.throws(() => accepted.push(...c.recv.push(bytes)), Error, what);
    assert.ok(!accepted.some((m) => (m as { code?: number }).code === 42), what);
    // The stream stays refused.
    assert.throws(() => c.recv.push(new Uint8Array(0)), /broken/, what);
  }
});

Deno.test("frames: large frames tag the same before and after node:crypto loads", async () => {
  const { key, send, recv } = channel();
  const big = new Uint8Array(64 << 10).map((_, i) => i & 0xff);
  // Tagged by hmac.ts when node:crypto is not loaded yet (this starts loading it).
  const first = encodeFrame({ type: "stdout", data: big }, send);
  await loadNodeCrypto();
  // From now on node:crypto tags and checks large frames: the first frame's tag still checks.
  const second = encodeFrame({ type: "stdout", data: big.slice().reverse() }, send);
  const got = recv.push(concat(first, second)) as { data: Uint8Array }[];
  assert.equal(got.length, 2);
  assert.deepEqual(got[0]!.data, big);
  assert.deepEqual(got[1]!.data, big.slice().reverse());
  // Both compute HMAC-SHA256(key, direction | seq as u64 LE | bytes) cut to TAG_BYTES.
  const body = new Uint8Array(10_000).fill(7);
  const seq = new Uint8Array(8);
  const want = new HmacSha256(key).mac(new TextEncoder().encode("to-host"), seq, body);
  assert.deepEqual(new FrameAuth(key, "to-host").next(body), want.subarray(0, TAG_BYTES));
});
