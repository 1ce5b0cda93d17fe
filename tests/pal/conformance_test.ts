// Every PAL host implementation runs the same conformance suite.
import { runPalConformance, sandboxHost } from "./conformance.ts";

runPalConformance(sandboxHost("worker"));
runPalConformance(sandboxHost("process"));
