/** PalError.quick: the stackless PalError for failures that only cross the call page. */
import assert from "node:assert/strict";
import { PalCode, palCodeName, PalError } from "../../pal/errors.ts";

Deno.test("PalError.quick is a PalError and an Error with the code, message and detail, and no stack", () => {
  const e = PalError.quick(PalCode.NOT_FOUND, '"a/b" not found', { x: 1 });
  assert.ok(e instanceof PalError && e instanceof Error);
  assert.equal(e.code, PalCode.NOT_FOUND);
  assert.equal(e.message, '"a/b" not found');
  assert.deepEqual(e.detail, { x: 1 });
  assert.equal(e.name, "PalError");
  assert.equal(e.stack, undefined);
  assert.equal(String(e), 'PalError: "a/b" not found');
  // Like an Error's, the message is not an enumerable own property (JSON, spreads).
  assert.deepEqual(Object.keys(e).sort(), ["code", "detail", "name"]);
  assert.equal(PalError.quick(PalCode.EXISTS).message, palCodeName(PalCode.EXISTS));
  // Caught like any other.
  assert.throws(() => {
    throw PalError.quick(PalCode.DENIED, "no");
  }, (t: unknown) => t instanceof PalError && t.code === PalCode.DENIED);
});
