/**
 * Writes the PAL ABI table (pal/abi.ts) into docs/architecture.md between the markers
 * `<!-- abi-table -->` and `<!-- /abi-table -->`. `tests/pal/abi_doc_test.ts` fails when stale.
 */
import { ABI, type CallSpec } from "../pal/abi.ts";

/** The markdown table of every PAL call. */
export function abiTableMarkdown(): string {
  const rows = (Object.entries(ABI) as [string, CallSpec][])
    .sort((a, b) => a[1].num - b[1].num)
    .map(([name, s]) =>
      `| ${s.num} | \`${name}\` | ${s.category} | ${s.side} | ${
        s.args.join(", ") || "—"
      } | ${s.result} | ${s.doc.replaceAll("|", "\\|")} |`
    );
  return [
    "| # | call | category | served by | arguments | result | what it does |",
    "|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

/** Replace the table in a document's text. */
export function withAbiTable(doc: string): string {
  const start = "<!-- abi-table -->";
  const end = "<!-- /abi-table -->";
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error("docs/architecture.md lacks the abi-table markers");
  return doc.slice(0, i + start.length) + "\n\n" + abiTableMarkdown() + "\n\n" + doc.slice(j);
}

if (import.meta.main) {
  const path = new URL("../docs/architecture.md", import.meta.url);
  Deno.writeTextFileSync(path, withAbiTable(Deno.readTextFileSync(path)));
}
