/**
 * The scheduler's side of a sweep: a Slurm job array script, or a Kubernetes Indexed Job manifest (validated
 * against the Kubernetes schemas by kubernetes-models before it is written). Each task runs
 * `onnx-studio trial DIR`, which reads its index from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX.
 */
import { Job } from 'kubernetes-models/batch/v1';
import { stringify } from 'yaml';
import { shellQuote } from '../../../shared/cli-command.js';
import type { SweepOptions } from '../../../shared/options/sweep-options.js';
import { StudioError } from '../errors.js';

/**
 * A value in an `#SBATCH` line, which sbatch reads with its own rules, not the shell's: double quotes keep
 * spaces, a backslash escapes the next character, and an unescaped `#` starts a comment (inside quotes too, in
 * older Slurm). `%` is doubled because sbatch expands `%A`, `%a`... in --output file names.
 */
export function sbatchQuote(value: string): string {
  if (/[\n\r]/.test(value))
    throw new StudioError(
      'BAD_REQUEST',
      `The sweep folder ${JSON.stringify(value)} has a line break in its path, which an #SBATCH line cannot hold: choose another folder.`,
    );
  // Slurm reads a backslash in a file name as "do not expand %A/%a": every task would write one log.
  if (value.includes('\\'))
    throw new StudioError(
      'BAD_REQUEST',
      `The sweep folder ${JSON.stringify(value)} has a backslash in its path, which turns off Slurm's %A/%a in the log names: choose another folder.`,
    );
  return `"${value.replace(/[\\"#]/g, '\\$&')}"`;
}

/**
 * An sbatch script with one array task per trial. It runs `onnx-studio` from PATH (or ONNX_STUDIO, e.g.
 * `ONNX_STUDIO="node /opt/onnx-studio/bin/onnx-studio.js" sbatch ...`, which Slurm passes on to the tasks).
 */
export function slurmArrayScript(dir: string, trials: number, options: SweepOptions): string {
  return [
    '#!/bin/bash',
    '# Written by onnx-studio tune --emit slurm: one array task per trial of the sweep in this folder.',
    '# Submit: sbatch sweep.sbatch   Then, when the array is done: onnx-studio tune --collect <this folder>',
    '#SBATCH --job-name=onnx-studio-sweep',
    `#SBATCH --array=0-${trials - 1}`,
    `#SBATCH --cpus-per-task=${options.cpusPerTask}`,
    `#SBATCH --time=${options.time}`,
    ...(options.partition ? [`#SBATCH --partition=${options.partition}`] : []),
    `#SBATCH --output=${sbatchQuote(`${dir.replace(/%/g, '%%')}/results/slurm-%A_%a.out`)}`,
    'set -euo pipefail',
    `exec \${ONNX_STUDIO:-onnx-studio} trial ${shellQuote(dir)} --index "$SLURM_ARRAY_TASK_ID" --threads "\${SLURM_CPUS_PER_TASK:-0}"`,
    '',
  ].join('\n');
}

/** Whole CPUs of a Kubernetes CPU quantity (`2`, `1.5`, `500m`), at least 1: the trial's onnxruntime threads. */
function cpuThreads(cpu: string): number {
  const cores = cpu.endsWith('m') ? Number.parseFloat(cpu) / 1000 : Number.parseFloat(cpu);
  return Math.max(1, Math.floor(cores));
}

/** A Kubernetes-safe name from the sweep folder's name. */
function jobName(folder: string): string {
  const name = `onnx-studio-${folder.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`
    .replace(/-+$/, '')
    .slice(0, 52);
  return name.replace(/-+$/, '');
}

/** The Indexed Job as an object, validated against the Kubernetes batch/v1 Job schema. */
export function k8sJob(folder: string, trials: number, options: SweepOptions): Job {
  if (!options.image) throw new StudioError('BAD_REQUEST', 'A Kubernetes sweep needs --image.');
  const job = new Job({
    metadata: {
      name: jobName(folder),
      labels: { 'app.kubernetes.io/name': 'onnx-studio', 'app.kubernetes.io/component': 'sweep' },
    },
    spec: {
      completionMode: 'Indexed',
      completions: trials,
      parallelism: Math.min(options.parallelism, trials),
      // A failed trial records its failure and exits 0; a pod that crashes is retried on its own index.
      backoffLimitPerIndex: 2,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'trial',
              image: options.image,
              args: ['trial', options.mountPath, '--threads', String(cpuThreads(options.cpu))],
              resources: {
                requests: { cpu: options.cpu, memory: options.memory },
                limits: { cpu: options.cpu, memory: options.memory },
              },
              volumeMounts: [{ name: 'sweep', mountPath: options.mountPath }],
            },
          ],
          volumes: [
            options.volumeClaim
              ? { name: 'sweep', persistentVolumeClaim: { claimName: options.volumeClaim } }
              : { name: 'sweep', emptyDir: {} },
          ],
        },
      },
    },
  });
  job.validate();
  return job;
}

export function k8sJobManifest(folder: string, trials: number, options: SweepOptions): string {
  const job = k8sJob(folder, trials, options);
  const header = [
    '# Written by onnx-studio tune --emit k8s: an Indexed Job, one completion per trial of the sweep.',
    `# Copy the sweep folder to the volume${options.volumeClaim ? ` '${options.volumeClaim}'` : ' (pass --volume-claim; emptyDir is only for a dry run)'} at ${options.mountPath},`,
    '# then: kubectl apply -f job.yaml; when it completes: onnx-studio tune --collect <the folder>',
  ];
  return `${header.join('\n')}\n${stringify(job.toJSON())}`;
}
