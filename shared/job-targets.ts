import type { JobSpec } from './ipc-contract.js';
import { ORIGINAL_TARGET } from './workspace.js';

/** Every model of the workspace a job reads: what it quantizes or prunes from, measures, or exports. */
export function targetsOf(spec: JobSpec): string[] {
  switch (spec.kind) {
    case 'inspect':
      return [ORIGINAL_TARGET];
    case 'quantize':
    case 'prune':
      return [spec.source ?? ORIGINAL_TARGET];
    case 'bench':
      return spec.targets ?? [ORIGINAL_TARGET];
    case 'evaluate':
      return [spec.target ?? ORIGINAL_TARGET, ...(spec.reference ? [spec.reference] : [])];
    case 'export':
      return [spec.target];
  }
}
