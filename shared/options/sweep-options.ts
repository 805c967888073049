/**
 * The options of a cluster sweep (`onnx-studio tune --emit slurm|k8s DIR`), declared once (see option-spec.ts):
 * the CLI's flags and help derive from this schema, and the scheduler files are written from its values.
 */
import { z } from 'zod';
import { option } from './option-spec.js';

export const SWEEP_TARGETS = ['slurm', 'k8s'] as const;
export type SweepTarget = (typeof SWEEP_TARGETS)[number];

export const sweepOptionsSchema = z
  .object({
    partition: option(
      z
        .string()
        .regex(/^[\w.-]+$/, "must be a partition name: letters, digits, '_', '.' and '-', no spaces")
        .optional(),
      {
        description: 'Slurm: the partition the array runs on (default: the cluster default).',
        flag: 'partition',
        metavar: 'NAME',
        example: 'cpu',
      },
    ),
    time: option(
      z
        .string()
        .regex(/^(\d+-)?\d{1,2}(:\d{2}){0,2}$/, 'must be a Slurm time such as 01:00:00 or 1-00:00:00')
        .default('01:00:00'),
      {
        description: 'Slurm: the time limit of each trial.',
        flag: 'time',
        metavar: '[D-]HH:MM:SS',
      },
    ),
    cpusPerTask: option(z.number().int().min(1).max(1024).default(2), {
      description: 'Slurm: CPUs per trial (onnxruntime uses them; latency is measured on them).',
      flag: 'cpus-per-task',
    }),
    image: option(z.string().min(1).optional(), {
      description: 'Kubernetes: the container image with onnx-studio (see the Dockerfile).',
      flag: 'image',
      metavar: 'IMAGE',
      example: 'registry.example.com/onnx-studio:0.1.0',
    }),
    parallelism: option(z.number().int().min(1).max(10000).default(4), {
      description: 'Kubernetes: how many trials run at once.',
      flag: 'parallelism',
    }),
    volumeClaim: option(
      z
        .string()
        .regex(
          /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
          "must be a PersistentVolumeClaim name: lower-case letters, digits and '-'",
        )
        .optional(),
      {
        description:
          'Kubernetes: the PersistentVolumeClaim that holds DIR (mounted at --mount-path in every pod).',
        flag: 'volume-claim',
        metavar: 'NAME',
        example: 'sweeps',
      },
    ),
    mountPath: option(z.string().regex(/^\//, 'must be an absolute path').default('/sweep'), {
      description: 'Kubernetes: where DIR is mounted in the pods.',
      flag: 'mount-path',
      metavar: 'PATH',
    }),
    cpu: option(
      z
        .string()
        .regex(/^\d+(\.\d+)?m?$/, 'must be a CPU quantity such as 2 or 500m')
        .default('2'),
      {
        description:
          'Kubernetes: CPU request and limit of each trial pod (equal, so latency is measured on a fixed share).',
        flag: 'cpu',
        metavar: 'CPUS',
        example: '500m',
      },
    ),
    memory: option(
      z
        .string()
        .regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'must be a memory quantity such as 4Gi or 512Mi')
        .default('4Gi'),
      {
        description: 'Kubernetes: memory request and limit of each trial pod.',
        flag: 'memory',
        metavar: 'SIZE',
        example: '512Mi',
      },
    ),
  })
  .strict();

export type SweepOptions = z.infer<typeof sweepOptionsSchema>;
