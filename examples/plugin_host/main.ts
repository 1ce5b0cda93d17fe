/**
 * An example host app with two plugins: a markdown renderer (worker isolation) and a word counter
 * (process isolation) that reports through the one host function it is given, `log`.
 *
 * Run: deno run --no-prompt -A examples/plugin_host/main.ts
 * @module
 */
import { Plugin, PluginCallError, PluginTimeoutError } from "../../mod.ts";

const here = (p: string) => new URL(p, import.meta.url).pathname;

const text = `# Plugins
Sandpiper runs **untrusted** plugins in *sandboxes*.
- calls are \`RPC\`
- errors are typed
`;

await using markdown = await Plugin.load(here("markdown/markdown.toml"));
await using words = await Plugin.load(here("wordcount/wordcount.toml"), {
  expose: { log: (line: string) => console.log(`  [wordcount] ${line}`) },
  callTimeoutMs: 2000,
});
console.log(`markdown (${markdown.isolation}) exports ${markdown.functions.join(", ")}`);
console.log(`wordcount (${words.isolation}) exports ${words.functions.join(", ")}\n`);

const html = await markdown.call<string>("render", text);
console.log(html, "\n");

const counter = words.api<{ count(text: string, top?: number): { words: number; top: unknown } }>();
const stats = await counter.count(text, 2);
console.log(`words: ${stats.words}, top: ${JSON.stringify(stats.top)}\n`);

try {
  await markdown.call("strict", 42);
} catch (e) {
  if (!(e instanceof PluginCallError)) throw e;
  console.log(`markdown refused bad input: ${e.remoteName}: ${e.message}`);
}

try {
  await words.callWith("forever", [], { timeoutMs: 300 });
} catch (e) {
  if (!(e instanceof PluginTimeoutError)) throw e;
  console.log(`wordcount ran away: ${e.message}`);
}
console.log(`markdown still works: ${await markdown.call("render", "*still* here")}`);
