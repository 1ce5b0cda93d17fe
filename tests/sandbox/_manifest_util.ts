/** Shared helpers of the manifest tests: temp dirs with an app, and the error a text raises. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseManifest } from "../../sandbox/manifest.ts";
import { ManifestError } from "../../sandbox/errors.ts";

/** A temp dir holding `app/main.js` and `data/`; `real` is its canonical path. */
export async function sandboxDir(): Promise<
  { dir: string; real: string; done: () => Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "sandpiper_manifest_" });
  await Deno.mkdir(join(dir, "app"));
  await Deno.mkdir(join(dir, "data"));
  await Deno.writeTextFile(join(dir, "app", "main.js"), "console.log('hi');\n");
  return {
    dir,
    real: await Deno.realPath(dir),
    done: () => Deno.remove(dir, { recursive: true }),
  };
}

export const MINIMAL = `[loader]\nentrypoint = "app/main.js"\n`;

/** Parse `text` in a fresh sandbox dir and return the ManifestError it must throw. */
export async function errorOf(text: string): Promise<ManifestError> {
  const s = await sandboxDir();
  try {
    parseManifest(text, { baseDir: s.dir, path: "bad.toml" });
  } catch (e) {
    assert.ok(e instanceof ManifestError, `expected ManifestError, got ${String(e)}`);
    return e;
  } finally {
    await s.done();
  }
  assert.fail("manifest was accepted");
}
