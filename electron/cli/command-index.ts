/**
 * The commands of `onnx-studio`, declared once: name and one-line summary (what `--help` lists), and how to
 * load the command. A command's module (its flags, its help, the engine and onnxruntime it pulls in) is
 * loaded only when that command runs, so `--version`, `--help` and light commands start fast.
 */
import type { CliCommand } from './cli-context.js';

export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<CliCommand>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'inspect',
    summary: 'Summarize a model: inputs, outputs, operators, parameters and sizes.',
    load: async () => (await import('./commands/inspect.js')).inspectCommand,
  },
  {
    name: 'convert',
    summary: 'Re-save a model, moving large tensors to an external data file or folding external data back in.',
    load: async () => (await import('./commands/convert.js')).convertCommand,
  },
  {
    name: 'quantize',
    summary: 'Make a quantized variant: int8 dynamic / static (QDQ) / weight-only, fp16, int4.',
    load: async () => (await import('./commands/quantize.js')).quantizeCommand,
  },
  {
    name: 'tune',
    summary: 'Search for the fastest (or smallest) variant within an accuracy budget, and write it.',
    load: async () => (await import('./commands/tune.js')).tuneCommand,
  },
  {
    name: 'trial',
    summary: 'Run one trial of a sweep that `tune --emit` wrote for a cluster (Slurm array task, Kubernetes index).',
    load: async () => (await import('./commands/trial.js')).trialCommand,
  },
  {
    name: 'sensitivity',
    summary: 'Rank the nodes int8-static quantization hurts most, to keep them in float.',
    load: async () => (await import('./commands/sensitivity.js')).sensitivityCommand,
  },
  {
    name: 'prune',
    summary: 'Make a pruned variant: zero small weights (magnitude) or remove whole channels (structured).',
    load: async () => (await import('./commands/prune.js')).pruneCommand,
  },
  {
    name: 'bench',
    summary: 'Measure latency and memory of one or several models on this machine (interleaved, with ratios).',
    load: async () => (await import('./commands/bench.js')).benchCommand,
  },
  {
    name: 'eval',
    summary: 'Measure accuracy on labeled data, and fidelity against a reference model.',
    load: async () => (await import('./commands/eval.js')).evalCommand,
  },
  {
    name: 'diff',
    summary: 'Show what a compression did: nodes kept, replaced, fused or removed, Q/DQ added, weights changed.',
    load: async () => (await import('./commands/diff.js')).diffCommand,
  },
  {
    name: 'explain',
    summary: 'Why is a variant not faster? Its run time split into int8 kernels, float ops, Q/DQ and layout, with advice.',
    load: async () => (await import('./commands/explain.js')).explainCommand,
  },
  {
    name: 'run',
    summary: 'Run a recipe file: its prune/quantize/bench/eval/export steps in order, on the source it names.',
    load: async () => (await import('./commands/run.js')).runCommand,
  },
  {
    name: 'recipe',
    summary: 'Print the recipe a variant recorded: a JSON file that `onnx-studio run` executes again.',
    load: async () => (await import('./commands/recipe.js')).recipeCommand,
  },
  {
    name: 'serve',
    summary: 'Serve the app in a browser (HTTP + WebSocket, same contract as the desktop app), with an access token.',
    load: async () => (await import('./commands/serve.js')).serveCommand,
  },
  {
    name: 'demo',
    summary: 'Run the whole pipeline on the bundled digits model and write an HTML + JSON report.',
    load: async () => (await import('./commands/demo.js')).demoCommand,
  },
];
