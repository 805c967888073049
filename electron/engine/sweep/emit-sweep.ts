/**
 * `tune --emit slurm|k8s DIR`: writes a sweep folder (sweep-format.ts) that a cluster runs one trial per index.
 * The trials are the candidates a local `tune` would try (tune-candidates.ts); the fallback, which depends on
 * earlier results, stays a local step. The model, its external data and the data files are copied into the
 * folder (copy-on-write clones where the file system allows), so the folder is all a node needs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { shellQuote } from '../../../shared/cli-command.js';
import { calibrationSpecOf, type DatasetSpec } from '../../../shared/dataset-spec.js';
import type { SweepOptions, SweepTarget } from '../../../shared/options/sweep-options.js';
import type { TuneBudget, TuneOptions } from '../../../shared/options/tune-options.js';
import { appTuneSetting, type NameTuneSetting } from '../../../shared/tune.js';
import type { RecipeInputs } from '../../../shared/recipe.js';
import { StudioError } from '../errors.js';
import { inspectModel } from '../inspect/inspect-model.js';
import { loadModel } from '../onnx/load-model.js';
import { datasetRef } from '../recipe/dataset-ref.js';
import { externalDataFiles, sha256Model } from '../recipe/file-hash.js';
import { refuseUnwritableFolder } from '../onnx/unwritable-folder.js';
import { tuneCandidates } from '../tune/tune-candidates.js';
import { k8sJobManifest, slurmArrayScript } from './scheduler-files.js';
import {
  INPUTS_DIR,
  RESULTS_DIR,
  SWEEP_FILE,
  SWEEP_VERSION,
  type Sweep,
  TRIALS_DIR,
  type TrialSpec,
  trialFile,
  writeJsonAtomic,
} from './sweep-format.js';

export interface EmitRequest {
  modelPath: string;
  dir: string;
  target: SweepTarget;
  options: TuneOptions;
  budget: TuneBudget;
  evaluation: { spec: DatasetSpec; baseDir: string };
  calibration: { spec: DatasetSpec; baseDir: string };
  labelled: boolean;
  /** The accuracy is a language model's next-token accuracy on its own ids (labelled is then true). */
  accuracyTask?: 'next-token';
  inputs?: RecipeInputs;
  sweepOptions: SweepOptions;
  version: string;
  force?: boolean;
  /** How the reasons for recipes left out name an option to set (the CLI's flags); default the app's labels. */
  nameSetting?: NameTuneSetting;
}

export interface EmitResult {
  dir: string;
  trials: TrialSpec[];
  skipped: { name: string; why: string }[];
  /** Candidates left out because --max-trials is reached before them. */
  beyondMaxTrials: string[];
  /** The scheduler's file: DIR/sweep.sbatch or DIR/job.yaml. */
  schedulerFile: string;
  /** The command that submits it. */
  submit: string;
}

/**
 * Copies a file or folder into `to`: a copy-on-write clone where the file system offers one (no second copy on
 * disk), a plain copy elsewhere. Never a hard link: editing the sweep's copy must not edit the user's model.
 */
function place(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  if (fs.statSync(from).isDirectory()) fs.cpSync(from, to, { recursive: true });
  else fs.copyFileSync(from, to, fs.constants.COPYFILE_FICLONE);
}

/** Refuses a sweep folder that is a file, or lies under one (mkdir would fail with a bare ENOTDIR). */
function refuseFileInPath(dir: string): void {
  for (let at = dir; ; at = path.dirname(at)) {
    if (fs.existsSync(at)) {
      if (!fs.statSync(at).isDirectory())
        throw new StudioError(
          'BAD_REQUEST',
          at === dir
            ? `${dir} is a file: give a folder for the sweep (a new or empty one).`
            : `${at} is a file, so the sweep folder ${dir} cannot be made there: give a folder.`,
        );
      return;
    }
    if (path.dirname(at) === at) return;
  }
}

export async function emitSweep(request: EmitRequest): Promise<EmitResult> {
  const { dir, target, sweepOptions } = request;
  if (target === 'k8s' && !sweepOptions.image)
    throw new StudioError(
      'BAD_REQUEST',
      'A Kubernetes sweep needs --image: a container image with onnx-studio (build one with the Dockerfile).',
    );
  refuseFileInPath(dir);
  // Before anything is made: mkdir under a folder that cannot be written fails with a bare EACCES, or an
  // ENOENT that names the wrong folder.
  refuseUnwritableFolder(dir, `the sweep folder ${dir}`, { mustExist: false });
  if (fs.existsSync(path.join(dir, SWEEP_FILE)) && !request.force)
    throw new StudioError(
      'BAD_REQUEST',
      `${dir} already holds a sweep. Choose another folder, or pass --force to replace it.`,
    );
  if (request.force)
    for (const sub of [INPUTS_DIR, TRIALS_DIR, RESULTS_DIR])
      fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
  const summary = await inspectModel(request.modelPath);
  const plan = tuneCandidates(summary, request.options, request.nameSetting ?? appTuneSetting);
  if (plan.candidates.length === 0)
    throw new StudioError(
      'BAD_REQUEST',
      `No recipe suits this model: ${plan.skipped.map((s) => `${s.name}: ${s.why}`).join('; ')}.`,
    );

  const inputs = path.join(dir, INPUTS_DIR);
  fs.mkdirSync(inputs, { recursive: true });
  fs.mkdirSync(path.join(dir, TRIALS_DIR), { recursive: true });
  fs.mkdirSync(path.join(dir, RESULTS_DIR), { recursive: true });
  const loaded = await loadModel(request.modelPath);
  const modelName = path.basename(request.modelPath);
  place(request.modelPath, path.join(inputs, modelName));
  for (const data of externalDataFiles(request.modelPath, loaded.proto))
    place(data, path.join(inputs, path.relative(path.dirname(request.modelPath), data)));
  const evaluation = await datasetRef(request.evaluation.spec, request.evaluation.baseDir);
  const calibration = await datasetRef(
    calibrationSpecOf(request.calibration.spec),
    request.calibration.baseDir,
  );
  for (const file of calibration.files) {
    const clash = evaluation.files.find((f) => f.name === file.name && f.sha256 !== file.sha256);
    if (clash)
      throw new StudioError(
        'BAD_REQUEST',
        `The calibration and evaluation data both name a different file '${file.name}': the sweep folder keeps files by name. Rename one of them.`,
      );
  }
  for (const source of [request.evaluation, request.calibration]) {
    if (source.spec.kind === 'synthetic') continue;
    const paths = [
      source.spec.path,
      ...('labels' in source.spec && source.spec.labels ? [source.spec.labels] : []),
    ];
    for (const p of paths) {
      const to = path.join(inputs, path.basename(p));
      if (!fs.existsSync(to)) place(path.resolve(source.baseDir, p), to);
    }
  }

  // A local tune stops starting trials at --max-trials, the candidates in this order: the sweep holds the
  // same ones, so it never costs more cluster tasks than the limit says.
  const emitted = plan.candidates.slice(0, request.options.maxTrials);
  const beyondMaxTrials = plan.candidates.slice(emitted.length).map((c) => c.name);
  const trials: TrialSpec[] = emitted.map((c, index) => ({ index, name: c.name, recipe: c.recipe }));
  for (const t of trials) writeJsonAtomic(trialFile(dir, t.index), t);
  const sweep: Sweep = {
    version: SWEEP_VERSION,
    model: { name: modelName, sha256: await sha256Model(request.modelPath, loaded.proto) },
    calibration,
    evaluation,
    labelled: request.labelled,
    ...(request.accuracyTask ? { accuracyTask: request.accuracyTask } : {}),
    ...(request.inputs ? { inputs: request.inputs } : {}),
    options: request.options,
    budget: request.budget,
    trials: trials.length,
    skipped: plan.skipped,
    beyondMaxTrials,
    createdBy: request.version,
  };
  writeJsonAtomic(path.join(dir, SWEEP_FILE), sweep);
  const scheduler =
    target === 'slurm'
      ? {
          file: 'sweep.sbatch',
          text: slurmArrayScript(dir, trials.length, sweepOptions),
          submit: `sbatch ${shellQuote(path.join(dir, 'sweep.sbatch'))}`,
        }
      : {
          file: 'job.yaml',
          text: k8sJobManifest(path.basename(dir), trials.length, sweepOptions),
          submit: `kubectl apply -f ${shellQuote(path.join(dir, 'job.yaml'))}`,
        };
  const schedulerFile = path.join(dir, scheduler.file);
  fs.writeFileSync(`${schedulerFile}.tmp`, scheduler.text);
  fs.renameSync(`${schedulerFile}.tmp`, schedulerFile);
  return { dir, trials, skipped: plan.skipped, beyondMaxTrials, schedulerFile, submit: scheduler.submit };
}
