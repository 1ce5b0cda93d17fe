// hello: prints its arguments and the one environment variable the manifest gives it.
console.log(`hello from ${Deno.args.join(" ") || "(no args)"}`);
console.log(`GREETING=${Deno.env.get("GREETING") ?? "(unset)"}`);
console.log(`cwd=${Deno.cwd()}`);
