import type * as ort from 'onnxruntime-node';
import { StudioError } from '../errors.js';

/** What was fed to a model: the names, element types and shapes of its inputs. */
export interface FedTensor {
  name: string;
  dtype: string;
  shape: readonly number[];
}

function describeFeed(fed: readonly FedTensor[]): string {
  return fed.map((t) => `${t.name} ${t.dtype} [${t.shape.join(', ')}]`).join(', ');
}

/** What to do about a run failure on the command line (the app says it in the Model view's terms). */
export const RUN_FAILURE_CLI_HINT = 'Set them with --shape, --dim and --value, or use data of the right shape.';

/**
 * A failure of onnxruntime's `run` as an error that names its cause. The model loaded, so what failed is the
 * model on these inputs: a dimension onnxruntime checks against the declared shape, a Reshape or an If that
 * needs particular sizes or values. That is the user's input spec, not a bug of ours (BAD_INPUT), and the
 * message lists exactly what was fed. Where to change it differs by surface: the CLI prints the error's
 * `cliHint` (its flags) after the message, the app its own "what to do" for BAD_INPUT (the Model view's input
 * spec), so the message names neither.
 */
export function runFailure(error: unknown, fed: readonly FedTensor[], what: string): StudioError {
  if (error instanceof StudioError) return error;
  const reason = (error instanceof Error ? error.message : String(error)).trim();
  // An allocation onnxruntime could not make: the shapes fit the model, the memory does not hold them.
  if (/bad_alloc|Failed to allocate memory|out of memory/i.test(reason)) {
    return new StudioError(
      'BAD_INPUT',
      `${what} ran out of memory on the inputs it was given (${describeFeed(fed)}): onnxruntime could not allocate ` +
        `what they need (${reason}). Use smaller inputs (fewer or shorter samples), or a machine with more memory.`,
      { detail: reason, cliHint: RUN_FAILURE_CLI_HINT },
    );
  }
  // onnxruntime's messages carry a C++ source location; the node name and the status message are what matter.
  const node = /running (\w+) node\. Name:'([^']*)'/.exec(reason);
  const status = readableStatus(/Status Message: (.*)$/s.exec(reason)?.[1]);
  // Exporters often leave nodes unnamed: then the op type is all there is to name it by.
  const which = node ? (node[2] ? `Node '${node[2]}' (${node[1]})` : `A ${node[1]} node (unnamed)`) : undefined;
  const inside = which ? ` ${which} failed${status ? `: ${status}` : ''}.` : ` onnxruntime said: ${reason}`;
  return new StudioError(
    'BAD_INPUT',
    `${what} could not run on the inputs it was given (${describeFeed(fed)}).${inside} The input shapes or values probably do not fit the model.`,
    { detail: reason, cliHint: RUN_FAILURE_CLI_HINT },
  );
}

/**
 * `session.run(feeds, fetches)`, with a failure as runFailure's error for `what` ("Calibration sample 3",
 * a model's file name): what was fed is read from the feeds themselves.
 */
export async function runExplained(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  what: string,
  fetches?: readonly string[],
): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await (fetches ? session.run(feeds, [...fetches]) : session.run(feeds));
  } catch (error) {
    const fed = Object.entries(feeds).map(([name, t]) => ({ name, dtype: t.type, shape: t.dims }));
    throw runFailure(error, fed, what);
  }
}

/**
 * onnxruntime's status without its C++ source location, function signature and failed condition:
 * "/src/reshape_helper.h:84 onnxruntime::ReshapeHelper::ReshapeHelper(const TensorShape&, ...) size != 0 was
 * false. The input tensor cannot be reshaped..." reads "The input tensor cannot be reshaped...".
 */
function readableStatus(status: string | undefined): string | undefined {
  if (!status) return undefined;
  let text = status.trim().replace(/^\S+\.(?:h|cc|cpp|hpp):\d+\s+/, '');
  const condition = text.indexOf(' was false. ');
  if (condition >= 0) text = text.slice(condition + ' was false. '.length);
  return text.trim();
}
