/**
 * Job titles, built in one place for every path that names a job: the page when it submits one, the backend
 * when it starts one (the page's, a pipeline step's, an Auto-optimize trial's) and the page again when it
 * finds a job after a reload. The same job therefore reads the same everywhere and at every time:
 * `Benchmark original, int8-dynamic (onnxruntime-node, cpu)`, `Evaluate int8-static minmax per-channel`,
 * `Export int8-weight to …/out/x.onnx`.
 *
 * A title names a variant by its name, or, for a variant an Auto-optimize trial made and removed once the trial
 * ended, by the trial's name; never by its id (`v-2635a93423`), which means nothing to the user.
 *
 * No zod: the renderer uses this module and must not pull zod in (type imports, and modules with type imports
 * only).
 */
import { counted } from './counted.js';
import { recipeLabel } from './variant-naming.js';
import type { Workspace } from './workspace.js';

/** What a title reads of a job's spec (every `JobSpec` of ipc-contract.ts fits it). */
export type TitledJobSpec =
  | { kind: 'inspect' | 'tune'; modelPath: string }
  | {
      kind: 'quantize' | 'prune';
      modelPath: string;
      method: string;
      name?: string;
      source?: string;
      calibration?: CalibrationNamed;
    }
  | { kind: 'bench'; modelPath: string; targets?: string[]; ep?: string }
  | { kind: 'evaluate'; modelPath: string; target?: string }
  | { kind: 'export'; modelPath: string; target: string; outputPath: string };

/** The original model's target name (`ORIGINAL_TARGET` of workspace.ts, repeated to keep this module light). */
const ORIGINAL = 'original';

/** What a title says of a variant whose name nobody knows any more (its id would mean nothing). */
export const UNKNOWN_VARIANT = 'a removed variant';

/** Looks up a target's display name; undefined when the caller does not know it. */
export type TargetNames = (target: string) => string | undefined;

/** A target as a title names it: `original`, the variant's name, or `a removed variant`; never an id. */
export function targetLabel(target: string, names: TargetNames): string {
  if (target === ORIGINAL) return ORIGINAL;
  const name = names(target);
  return name !== undefined && name !== '' ? name : UNKNOWN_VARIANT;
}

/**
 * The display name of a target from its workspace: a variant's name, or, for a variant an Auto-optimize trial
 * made and removed once the trial ended, the trial's name (`int8-static minmax per-channel`).
 */
export function workspaceTargetName(ws: Workspace | null | undefined, target: string): string | undefined {
  if (target === ORIGINAL) return ORIGINAL;
  if (!ws) return undefined;
  const variant = ws.variants.find((v) => v.id === target);
  if (variant) return variant.name;
  for (const tune of [...(ws.tunes ?? [])].reverse()) {
    const trial = tune.trials.find((t) => t.variantId === target);
    if (trial) return trial.name;
  }
  return undefined;
}

/**
 * `Benchmark original, int8-dynamic (onnxruntime-node, cpu)`: the models by name, the engine and provider.
 * Commas, not " + ": a stacked variant's name has " + " in it (`structured 10% + int8-static`), and joined
 * with " + " two models read as four. A name that has a comma itself is quoted, so a list never reads as
 * more models than it has.
 */
export function benchTitle(names: readonly string[], ep: string | undefined): string {
  const listed = names.map((n) => (n.includes(',') ? `“${n}”` : n));
  return `Benchmark ${listed.join(', ')} (onnxruntime-node, ${ep ?? 'cpu'})`;
}

export function evaluateTitle(name: string): string {
  return `Evaluate ${name}`;
}

/**
 * A destination as a title shows it: the file with the folders it sits in, cut to the last two
 * (`…/explore-app/out/x.onnx`), so two exports of one variant to different folders read differently.
 */
export function shortDestination(outputPath: string): string {
  const parts = outputPath.split(/[\\/]/);
  const named = parts.filter(Boolean);
  if (named.length <= 3) return outputPath;
  return `…/${named.slice(-3).join('/')}`;
}

export function exportTitle(name: string, outputPath: string): string {
  return `Export ${name} to ${shortDestination(outputPath)}`;
}

function fileName(p: string): string {
  return p.split(/[\\/]/).filter(Boolean).pop() ?? p;
}

/** What of a calibration dataset a title reads: its file, or its count of synthetic samples. */
export interface CalibrationNamed {
  spec: { kind: string; path?: string; samples?: number };
}

/**
 * ` on calib.npz`, ` on 32 synthetic samples`: what tells two calibrated quantizations of one method apart (two
 * pipelines both titled "Quantize: int8-static", on 32 and on 4,000 samples, could not be told apart).
 */
export function calibratedOn(calibration: CalibrationNamed | undefined): string {
  if (!calibration) return '';
  const { spec } = calibration;
  if (spec.path !== undefined) return ` on ${fileName(spec.path)}`;
  if (spec.kind === 'synthetic' && spec.samples !== undefined)
    return ` on ${counted(spec.samples, 'synthetic sample')}`;
  return '';
}

/** `Quantize: WHAT on DATA (from SOURCE)` or `Prune: WHAT (from SOURCE)`: a job that makes a variant. */
function variantJobTitle(
  kind: 'quantize' | 'prune',
  what: string,
  calibration: CalibrationNamed | undefined,
  sourceName: string | undefined,
): string {
  const from = sourceName ? ` (from ${sourceName})` : '';
  return kind === 'quantize'
    ? `Quantize: ${what}${calibratedOn(calibration)}${from}`
    : `Prune: ${what}${from}`;
}

/**
 * The title of a pipeline's first step, which is the pipeline's: `Quantize: int8-static (minmax) on calib.npz
 * (from structured 30%)`. One builder for the backend's records and the page's queueing line.
 */
export function makeStepTitle(
  make: Parameters<typeof recipeLabel>[0] & {
    name?: string | undefined;
    calibration?: CalibrationNamed | undefined;
  },
  sourceName?: string,
): string {
  return variantJobTitle(make.kind, make.name ?? recipeLabel(make), make.calibration, sourceName);
}

/** The title of a job from its spec, naming its targets through `names`. */
export function jobTitle(spec: TitledJobSpec, names: TargetNames): string {
  const label = (target: string) => targetLabel(target, names);
  switch (spec.kind) {
    case 'inspect':
      return `Inspect ${fileName(spec.modelPath)}`;
    case 'tune':
      return 'Auto-optimize';
    case 'quantize':
    case 'prune':
      return variantJobTitle(
        spec.kind,
        spec.name ?? spec.method,
        spec.kind === 'quantize' ? spec.calibration : undefined,
        spec.source && spec.source !== ORIGINAL ? label(spec.source) : undefined,
      );
    case 'bench':
      return benchTitle((spec.targets ?? [ORIGINAL]).map(label), spec.ep);
    case 'evaluate':
      return evaluateTitle(label(spec.target ?? ORIGINAL));
    case 'export':
      return exportTitle(label(spec.target), spec.outputPath);
  }
}
