// A trivial app program for bench/proc_bench.ts: its module is imported in a new Worker, and the
// process ends once idle, like a spawned script that does nothing.
export {};
