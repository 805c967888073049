import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExportJobResult } from '../../../shared/job-results.js';
import { fieldHelp, fieldParseArgs } from '../../../shared/options/cli-flags.js';
import { budgetOf, tuneOptionsSchema, type TuneBudget } from '../../../shared/options/tune-options.js';
import { formatCosine, trialNumbered, type TuneOutcome } from '../../../shared/tune.js';
import { ownIdsGraded } from '../../../shared/own-ids.js';
import { summarizeInterface } from '../../engine/inspect/inspect-model.js';
import { StudioError } from '../../engine/errors.js';
import { methodCatalog } from '../../engine/jobs/method-catalog.js';
import { StudioBackend } from '../../engine/jobs/studio-backend.js';
import { loadModel } from '../../engine/onnx/load-model.js';
import { placedFiles, takeBack, trackTemporary, writeFileAtomic } from '../../engine/onnx/atomic-files.js';
import { existingPathOf, outputExists } from '../../engine/onnx/output-exists.js';
import {
  refuseUnknownDims,
  resolveInputSpecs,
  type ShapeOverrides,
} from '../../engine/runtime/input-specs.js';
import { guessedValuesNote } from '../../engine/runtime/synthetic-feeds.js';
import { refuseOutputsOverInputs } from '../../engine/onnx/output-guard.js';
import { refuseUnwritableFolder } from '../../engine/onnx/unwritable-folder.js';
import { runTune } from '../../engine/tune/run-tune.js';
import { stopOnAbort } from '../../engine/tune/tune-jobs.js';
import { withdrawChoice } from '../../engine/tune/tune-search.js';
import { addGuessNotes, jobInputs } from '../../engine/tune/tune-runner.js';
import { checkTuneData, refuseUnlabelledAccuracyBudget } from '../../engine/tune/tune-data.js';
import { collectCommand, emitCommand, emitTarget, refuseSweepFlags, SWEEP_FIELDS } from './tune-sweep.js';
import type { CliCommand, CliContext } from '../cli-context.js';
import { requireString, writeJson } from '../cli-context.js';
import { DATA_HELP, DATA_OPTIONS, parseDataFlags } from '../data-flags.js';
import { formatPoints } from '../format.js';
import { warnGuesses } from '../guess-warnings.js';
import { parseShapeFlags, SHAPE_HELP, SHAPE_OPTIONS } from '../shape-flags.js';
import { optionsFromFieldFlags } from '../method-flags.js';
import { refuseNonOnnxOutput } from '../output-path.js';
import { cliVersion } from '../version.js';
import {
  cliTuneSetting,
  EXIT_BUDGET_NOT_MET,
  noChoiceMessage,
  outcomePathOf,
  printTuneOutcome,
} from './tune-print.js';

/** The tune options' fields, as the method catalog gives them to the app's form. */
const TUNE_FIELDS = methodCatalog().tune;

export const tuneCommand: CliCommand = {
  usage:
    'onnx-studio tune MODEL -o OUT --data DATA [--labels LABELS] [--calib-data DATA] (--max-accuracy-drop P | --min-cosine C) [--objective latency|size] [--json]',
  help: [
    'Search for the fastest (or smallest) variant within an accuracy budget: int8-static with each calibration',
    'method, per-channel and per-tensor, int8-dynamic, int4, int8-weight and fp16 (--objective size) and (with',
    '--allow-pruning) structured pruning, then the most sensitive nodes back in float until the budget holds.',
    'Benchmarks run on the --data samples. Writes the chosen variant to OUT and every trial to OUT with',
    '.tune.json; exits 3 and writes nothing when no variant meets the budget.',
    '  -o, --output PATH         where to write the chosen variant (never the input)',
    '  --force                   replace OUT if it exists',
    '  --data DATA               evaluation data: fidelity to the original, and accuracy where it has labels',
    "                            (--labels, an .npz's 'labels', class sub-folders, .jsonl \"label\"s)",
    '  --calib-data DATA         calibration data for int8-static (default: the evaluation data, with a warning)',
    '  --samples N               synthetic --data: how many samples (default 100); files: read N samples only',
    ...fieldHelp(TUNE_FIELDS),
    DATA_HELP,
    ...SHAPE_HELP,
    '  --json                    print the whole outcome as one JSON object (fields in docs/cli.md)',
    'Beyond one machine (README, "Beyond one machine"):',
    '  --emit slurm|k8s DIR      write the sweep (one trial per index, at most --max-trials) for a cluster instead',
    ...fieldHelp(SWEEP_FIELDS),
    "  --collect DIR             merge a sweep's results: the same table, front and choice (-o copies the choice)",
  ].join('\n'),
  options: {
    output: { type: 'string', short: 'o' },
    force: { type: 'boolean' },
    data: { type: 'string' },
    'calib-data': { type: 'string' },
    ...DATA_OPTIONS,
    ...SHAPE_OPTIONS,
    ...fieldParseArgs(TUNE_FIELDS),
    ...fieldParseArgs(SWEEP_FIELDS),
    emit: { type: 'string' },
    collect: { type: 'string' },
  },
  async run(ctx) {
    if (typeof ctx.values.collect === 'string') return collectCommand(ctx, ctx.values.collect);
    const emit = emitTarget(ctx);
    // Only DIR's own word is left out: MODEL may be the same string (and is then refused as DIR, a file).
    const [modelArg, ...extra] = emit
      ? ctx.positionals.filter((_, i) => i !== ctx.positionals.indexOf(emit.dirArg))
      : ctx.positionals;
    if (!modelArg) throw new StudioError('BAD_REQUEST', 'Missing MODEL: pass the path of a .onnx file.');
    if (extra.length > 0)
      throw new StudioError('BAD_REQUEST', `tune takes one model, got also: ${extra.join(' ')}.`);
    const model = path.resolve(modelArg);
    if (!fs.existsSync(model)) throw new StudioError('BAD_REQUEST', `No such file: ${model}.`);
    const outputArg = emit ? '' : requireString(ctx, 'output', 'output path');
    // Checked as given, so its message quotes what the user typed, as quantize's and prune's do.
    if (!emit) refuseNonOnnxOutput(outputArg);
    const output = emit ? '' : path.resolve(outputArg);
    if (!emit) refuseOutputsOverInputs(tuneOutputs(output), tuneInputs(model, ctx.values));
    const force = ctx.values.force === true;
    // The outcome beside OUT is an output too: refused here, not after a search of many minutes.
    for (const file of emit ? [] : [output, outcomePathOf(output)])
      if (fs.existsSync(file) && !force) throw outputExists(file);
    // So is a folder that is missing or cannot be written: both files are written only after the search.
    if (!emit) refuseUnwritableFolder(path.dirname(output), `-o ${output}`, { mustExist: true });
    refuseSweepFlags(ctx, emit?.target);
    const options = optionsFromFieldFlags(tuneOptionsSchema, TUNE_FIELDS, ctx.values);
    const budget = budgetOf(options);
    if (!budget.ok) throw new StudioError('BAD_REQUEST', budget.message);
    // Whether the data has labels is known once it is opened (a labels file, an .npz's 'labels' array, class
    // sub-folders, a .jsonl's "label"s: as eval reads them): an accuracy budget without is refused there.

    const evaluation = await parseDataFlags(
      typeof ctx.values.data === 'string' ? ctx.values.data : undefined,
      ctx.values,
    );
    const calibFlag = typeof ctx.values['calib-data'] === 'string' ? ctx.values['calib-data'] : undefined;
    const calibration = calibFlag
      ? await parseDataFlags(
          calibFlag,
          { ...ctx.values, labels: undefined, samples: undefined },
          { dataFlag: 'calib-data', defaultSyntheticSamples: 64 },
        )
      : evaluation;
    if (!calibFlag)
      ctx.stderr.write(
        'warning: no --calib-data: int8-static calibrates on the evaluation data, so its figures may flatter it. Pass separate calibration data.\n',
      );
    const inputs = parseShapeFlags(ctx.values.shape, ctx.values.dim, ctx.values.value);
    const guesses = await syntheticGuesses(model, inputs, [evaluation.spec, calibration.spec]);
    warnGuesses(ctx, guesses);
    const dataFlags = { evaluation: '--data', calibration: calibFlag ? '--calib-data' : '--data' };
    if (emit) {
      // A local tune checks its data in runTune; a sweep's is checked before the folder is written.
      const [facts] = await checkTuneData(model, inputs, [
        { flag: dataFlags.evaluation, ref: evaluation },
        { flag: dataFlags.calibration, ref: calibration },
      ]);
      // A language model's real ids grade it without labels, as a local tune does (run-tune.ts).
      const ownIds =
        !facts!.hasLabels &&
        ownIdsGraded(evaluation.spec, summarizeInterface((await loadModel(model)).proto.graph!));
      refuseUnlabelledAccuracyBudget(budget.budget, facts!, dataFlags.evaluation, ownIds);
      return emitCommand(ctx, {
        modelPath: model,
        target: emit.target,
        dir: emit.dir,
        options,
        budget: budget.budget,
        evaluation,
        calibration,
        labelled: facts!.hasLabels || ownIds,
        ...(ownIds ? { accuracyTask: 'next-token' as const } : {}),
        inputs: jobInputs(inputs),
        force,
      });
    }

    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-tune-'));
    // Removed in `finally`, or, when a second Ctrl+C (or SIGTERM) cannot wait for that, just before the exit.
    const untrackDataDir = trackTemporary(dataDir);
    const backend = new StudioBackend({
      dataDir,
      host: 'serve',
      version: cliVersion(),
      capabilities: { nativeDialogs: false, fileBrowser: false, upload: false },
      // Two trials at once: one's calibration or evaluation beside another's (each in its own task process). A
      // benchmark is exclusive whatever the lanes say, so latency is never measured beside other work.
      concurrency: { inference: 2 },
    });
    const started = performance.now();
    const say = (text: string) =>
      ctx.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${text}\n`);
    const search = new AbortController();
    const onAbort = () => {
      search.abort();
      void backend.jobs.cancelAll();
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    // A Ctrl+C while the data was being read came before the listener: it must still stop the search.
    if (ctx.signal.aborted) onAbort();
    try {
      const { outcome, runner } = await runTune({
        jobs: stopOnAbort(backend.runner, search.signal),
        modelPath: model,
        options,
        budget: budget.budget,
        evaluation: { spec: evaluation.spec, baseDir: evaluation.baseDir },
        calibration: { spec: calibration.spec, baseDir: calibration.baseDir },
        inputs,
        tasks: backend.tasks,
        dataFlags,
        nameSetting: cliTuneSetting,
        providers: () => backend.engine.call('providers', {}, { signal: search.signal }),
        signal: search.signal,
        onStage: say,
        onTrial: (t, ended) => {
          if (ended)
            say(
              `  #${t.index} ${t.name}: ${t.status === 'failed' ? `failed: ${t.error}` : trialLine(t, budget.budget)}`,
            );
        },
      });
      // The trials' figures rest on the same guesses, and on any their jobs reported (nothing where the data
      // sets every input): they are in the outcome's notes too, once each, printed as `Guessed:` lines.
      addGuessNotes(outcome.notes, [...guesses, ...(runner.guesses?.() ?? [])]);
      return await finish(ctx, backend, outcome, output, force);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      await backend.dispose();
      fs.rmSync(dataDir, { recursive: true, force: true });
      untrackDataDir();
    }
  },
};

/**
 * What synthetic evaluation or calibration data guesses (dims nothing set, integer input values), said before
 * the search as every command says it; a --dim naming no dim of the model is refused here, as elsewhere.
 */
async function syntheticGuesses(
  model: string,
  inputs: ShapeOverrides,
  specs: readonly { kind: string }[],
): Promise<string[]> {
  const synthetic = specs.some((spec) => spec.kind === 'synthetic');
  // The model is read here only when there is something to check: the search's own jobs read it anyway.
  if (!synthetic && inputs.dims === undefined) return [];
  const resolved = resolveInputSpecs((await loadModel(model)).proto, inputs);
  refuseUnknownDims(inputs.dims, [resolved.namedDims]);
  if (!synthetic) return [];
  const values = guessedValuesNote(resolved.inputs);
  return [...resolved.notes, ...(values ? [values] : [])];
}

function trialLine(t: TuneOutcome['trials'][number], budget: TuneBudget): string {
  const parts = [`size ${t.sizeRatio?.toFixed(3)}x`];
  if (t.p50Ratio !== undefined) parts.push(`p50 ${t.p50Ratio.toFixed(3)}x`);
  if (t.accuracy !== undefined)
    parts.push(
      `accuracy ${(t.accuracy * 100).toFixed(2)}%${t.dropPoints !== undefined ? ` (${formatPoints(-t.dropPoints)})` : ''}`,
    );
  if (t.cosine !== undefined) parts.push(`cosine ${formatCosine(t.cosine, budget)}`);
  if (t.agreement !== undefined) parts.push(`agreement ${(t.agreement * 100).toFixed(2)}%`);
  parts.push(t.meetsBudget ? 'meets the budget' : 'breaks the budget');
  return parts.join(', ');
}

/** Exports the choice (or writes nothing), prints, and returns the exit code. */
async function finish(
  ctx: CliContext,
  backend: StudioBackend,
  outcome: TuneOutcome,
  output: string,
  force: boolean,
): Promise<number> {
  const chosen = trialNumbered(outcome, outcome.chosen);
  let written: string | undefined;
  if (chosen?.variantId && outcome.stoppedBy !== 'cancelled') {
    try {
      written = await writeChoice(backend, outcome, chosen.variantId, output, force, ctx.signal);
    } catch (error) {
      // A Ctrl+C during the export ends like one during the search: the finished trials
      // are printed and nothing is written (the export writes to a temp file and renames it last).
      if (!(error instanceof StudioError && error.code === 'CANCELLED') && !ctx.signal.aborted) throw error;
      outcome.stoppedBy = 'cancelled';
    }
  }
  // Cancelled during the export: nothing was written, so nothing is reported as chosen (a search stopped earlier
  // chose nothing already, tune-search.ts; the app keeps no choice either).
  if (outcome.stoppedBy === 'cancelled') withdrawChoice(outcome);
  if (ctx.json)
    writeJson(ctx, {
      ...outcome,
      output: written ?? null,
      outcomeFile: written ? outcomePathOf(output) : null,
      message: written ? null : noChoiceMessage(outcome),
    });
  else printTuneOutcome(ctx.stdout, outcome, written);
  if (outcome.stoppedBy === 'cancelled') return 130;
  return written ? 0 : EXIT_BUDGET_NOT_MET;
}

/** Exports the chosen variant (benchmarked by then: run-tune.ts `benchChosen`) and its outcome file. */
async function writeChoice(
  backend: StudioBackend,
  outcome: TuneOutcome,
  variantId: string,
  output: string,
  force: boolean,
  signal: AbortSignal,
): Promise<string> {
  // A Ctrl+C between the benchmark and the export stops the export (the runner's jobs stop so too).
  const exported = await stopOnAbort(backend.runner, signal).run<ExportJobResult>(
    {
      kind: 'export',
      modelPath: outcome.model,
      target: variantId,
      outputPath: output,
      overwrite: force,
    },
    'Writing the chosen variant',
  );
  if (!exported.written) throw outputExists(output);
  // OUT and its outcome file are one result: an outcome that cannot be placed takes back what the export placed.
  const placed = placedFiles([
    exported.path,
    ...(exported.dataFile !== undefined ? [exported.dataFile] : []),
  ]);
  try {
    // Replaced only with --force, also when it appeared during the search; the temp file goes on a second Ctrl+C.
    await writeFileAtomic(
      outcomePathOf(output),
      `${JSON.stringify({ ...outcome, output: exported.path }, null, 2)}\n`,
      { replace: force },
    );
  } catch (error) {
    // Only a refusal (the outcome file appeared meanwhile, no --force) makes it half a result. A write that failed
    // (a full disk) leaves the chosen model, which is whole and may have replaced the old one with --force.
    if (existingPathOf(error) !== undefined) takeBack(placed);
    throw error;
  }
  return exported.path;
}

/** What tune writes: the best variant and the outcome beside it. */
function tuneOutputs(output: string): { path: string; what: string }[] {
  return [
    { path: output, what: 'OUT' },
    { path: outcomePathOf(output), what: 'The outcome file beside OUT' },
  ];
}

/** The files tune reads, named as the flag that gave each. */
function tuneInputs(model: string, values: Record<string, unknown>): { path: string; what: string }[] {
  const inputs = [{ path: model, what: 'the input model' }];
  for (const flag of ['data', 'labels', 'calib-data']) {
    const value = values[flag];
    if (typeof value === 'string' && value !== 'synthetic')
      inputs.push({ path: value, what: `the --${flag} file` });
  }
  return inputs;
}
