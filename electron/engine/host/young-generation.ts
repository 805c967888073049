/**
 * Holds V8's young generation at its initial size (1 MiB per semi-space) in every process that runs the
 * engine. Each process entry imports this module first, for its effect alone (the CLI's bin.ts, the
 * engine and task processes, bench-io's measuring child), so it applies before anything else allocates.
 *
 * Why: loading a model builds tens of thousands of small messages, and nearly all of them survive. While
 * objects survive, V8 keeps doubling the young generation (up to 16 MiB per semi-space), copying every
 * survivor into ever larger spaces of fresh pages before promoting it. Held at 1 MiB, the same survivors
 * are promoted out of two small spaces that stay in memory. Measured on whole CLI commands
 * (docs/benchmarks.md, Model I/O, "fourth pass"): `convert` of a model with 20,000 initializers 0.72-0.76 s ->
 * 0.66-0.67 s and 128 -> 99 MB peak; no command got slower, and most use 5-25% less memory.
 *
 * It is set at run time because that is where it works in every host: the CLI starts as a plain `node`
 * script, and on Node 20 `--semi-space-growth-factor` given on the command line is not applied (the young
 * generation still grew to 32 MiB in a test) while the same flag set here is. V8 reads it only when it
 * decides to grow the young generation, so changing it in a running process is safe.
 */
import v8 from 'node:v8';

const YOUNG_GENERATION_FLAG = '--semi-space-growth-factor=1';

v8.setFlagsFromString(YOUNG_GENERATION_FLAG);
