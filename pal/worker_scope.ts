/**
 * The global scope of a Worker, typed without the `deno.worker` lib (which cannot be mixed with
 * the window lib in one type-check of the whole project).
 */

/** The parts of a Worker's global scope Sandpiper uses. */
export interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
  close(): void;
}

/** This thread's scope (only meaningful inside a Worker). */
export const workerScope: WorkerScope = globalThis as unknown as WorkerScope;
