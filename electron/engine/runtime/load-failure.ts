import { StudioError } from '../errors.js';

/*
 * Why onnxruntime refused to load a model, in words a user can act on. onnxruntime's message carries a C++
 * source location and function signature ("/onnxruntime_src/.../model_load_utils.h:46 void
 * onnxruntime::...(const std::unordered_map<...>&, ...) "), which says nothing to a user; and the right advice
 * depends on the cause: an opset newer than this onnxruntime, an operator it does not know, or a broken graph.
 */

/** The message without C++ source locations and the function signatures that follow them. */
export function withoutSourceLocations(reason: string): string {
  return (
    reason
      .replace(/^Load model from .*? failed:\s*/, '')
      // Linux builds say /onnxruntime_src/..., macOS /Users/runner/work/.../onnxruntime/..., Windows D:\a\...
      .replace(
        /(?:\b[A-Za-z]:)?[\\/]\S*?onnxruntime(?:_src)?[\\/]\S+?\.(?:h|cc|cpp|hpp):\d+\s+(?:[^()]*\([^()]*\)\s*)?/g,
        '',
      )
      .replace(/\s+/g, ' ')
      .trim()
  );
}

function advice(reason: string): string {
  const newest = /official support for domain (\S+) is till opset (\d+)/.exec(reason);
  if (newest) {
    return (
      `The model uses an opset newer than this onnxruntime supports for ${newest[1]} (up to ${newest[2]}): ` +
      `export it again with opset ${newest[2]} or lower.`
    );
  }
  const unknown = /([\w.]*):(\w+)\(-?\d+\) is not a registered function\/op/.exec(reason);
  if (unknown) {
    const [, domain, op] = unknown;
    return domain && domain !== 'ai.onnx'
      ? `The model uses ${op} of domain '${domain}', a custom operator onnxruntime does not know: it needs that ` +
          `operator's custom-op library, which ONNX Studio does not load. Export the model without it.`
      : `The model uses ${op}, which this onnxruntime does not implement at the model's opset: export it ` +
          `again with another opset, or without that operator.`;
  }
  return 'Check the model with onnx.checker.check_model, or export it again.';
}

/** The MODEL_INVALID error for a model onnxruntime refused (`label`: its path, or "the model"). */
export function loadFailure(label: string, error: unknown): StudioError {
  const reason = error instanceof Error ? error.message : String(error);
  const readable = withoutSourceLocations(reason).replace(/\.+$/, '');
  return new StudioError(
    'MODEL_INVALID',
    `onnxruntime cannot load ${label}: ${readable}. ${advice(reason)}`,
    {
      detail: reason,
    },
  );
}
