/**
 * Writes `manifests/schema.json` (JSON Schema of a manifest as written) from the zod schema in
 * `sandbox/schema.ts`. Run with `deno task schema`; a test fails when the committed file is stale.
 */
import { z } from "zod";
import { ManifestSchema } from "../sandbox/schema.ts";

/** Where the generated schema lives, relative to the repository root. */
export const SCHEMA_PATH = new URL("../manifests/schema.json", import.meta.url);

/**
 * The JSON Schema of a manifest as written (input form: keys with defaults are optional).
 *
 * @returns the schema as pretty-printed JSON with a trailing newline.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { manifestJsonSchema } from "./gen_schema.ts";
 * assert.ok(JSON.parse(manifestJsonSchema()).additionalProperties === false);
 * ```
 */
export function manifestJsonSchema(): string {
  const schema = z.toJSONSchema(ManifestSchema, { io: "input" });
  const doc = { ...schema, title: "Sandpiper manifest" };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (import.meta.main) {
  await Deno.writeTextFile(SCHEMA_PATH, manifestJsonSchema());
  console.log(`wrote ${SCHEMA_PATH.pathname}`);
}
