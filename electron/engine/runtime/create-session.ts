import * as ort from 'onnxruntime-node';
import { ORT_LOG_SEVERITY } from './ort-logging.js';
import './ort-telemetry.js';
import { loadFailure } from './load-failure.js';

export interface SessionSettings {
  /** Execution providers in order of preference (default `['cpu']`). */
  executionProviders?: string[];
  /** Threads inside one operator (0 = onnxruntime's default: one per physical core). */
  intraOpThreads?: number;
  interOpThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Whether idle intra-op threads spin-wait for work. Spinning makes a lone session slightly faster but
   * steals CPU from anything else running, which skews interleaved benchmarks.
   */
  allowSpinning?: boolean;
  /** Write the optimized graph here (to check which fusions onnxruntime applied). */
  optimizedModelFilePath?: string;
  /**
   * With optimizedModelFilePath: write the optimized model's initializers to this file (a name beside it)
   * as external data, instead of into a protobuf that must be held in memory whole.
   */
  optimizedModelExternalData?: string;
  enableProfiling?: boolean;
  profileFilePrefix?: string;
  /**
   * Give memory back between operators: no CPU arena (which grows to the largest working set and never shrinks)
   * and no memory pattern planning. Slower; for calibration under a memory budget.
   */
  lowMemory?: boolean;
}

/** onnxruntime's session options from our settings. */
export function toOrtOptions(settings: SessionSettings): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: settings.executionProviders ?? ['cpu'],
    graphOptimizationLevel: settings.graphOptimizationLevel ?? 'all',
    // onnxruntime's own log lines would precede our error for the same failure (see ort-logging).
    logSeverityLevel: ORT_LOG_SEVERITY,
  };
  if (settings.intraOpThreads) options.intraOpNumThreads = settings.intraOpThreads;
  if (settings.interOpThreads) options.interOpNumThreads = settings.interOpThreads;
  if (settings.optimizedModelFilePath) options.optimizedModelFilePath = settings.optimizedModelFilePath;
  if (settings.enableProfiling) {
    options.enableProfiling = true;
    if (settings.profileFilePrefix) options.profileFilePrefix = settings.profileFilePrefix;
  }
  if (settings.lowMemory) {
    options.enableCpuMemArena = false;
    options.enableMemPattern = false;
  }
  // Session config entries, nested by the dots of their keys ("session.intra_op.allow_spinning").
  const session: Record<string, unknown> = {};
  if (settings.allowSpinning !== undefined) {
    session.intra_op = { allow_spinning: settings.allowSpinning ? '1' : '0' };
  }
  if (settings.optimizedModelFilePath && settings.optimizedModelExternalData) {
    session.optimized_model_external_initializers_file_name = settings.optimizedModelExternalData;
    session.optimized_model_external_initializers_min_size_in_bytes = '1024';
  }
  if (Object.keys(session).length > 0) options.extra = { session };
  return options;
}

/**
 * Creates an onnxruntime session. A model onnxruntime refuses to load (a node input nothing produces, an
 * operator or opset it does not implement, a type mismatch in the graph) is a problem of that model, not of
 * ONNX Studio: MODEL_INVALID, a user error, with onnxruntime's reason and what to do. `label` is what that
 * message calls the model (a variant's name rather than its path in the workspace); by default its path, or
 * "the model" for bytes.
 */
export async function createSession(
  model: string | Uint8Array,
  settings: SessionSettings = {},
  label?: string,
): Promise<ort.InferenceSession> {
  try {
    return typeof model === 'string'
      ? await ort.InferenceSession.create(model, toOrtOptions(settings))
      : await ort.InferenceSession.create(model, toOrtOptions(settings));
  } catch (error) {
    throw loadFailure(label ?? (typeof model === 'string' ? model : 'the model'), error);
  }
}
