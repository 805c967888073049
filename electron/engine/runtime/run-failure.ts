import type * as ort from 'onnxruntime-node';
import { StudioError } from '../errors.js';

/** What was fed to a model: the names, element types and shapes of its inputs. */
export interface FedTensor {
  name: string;
  dtype: string;
  shape: readonly number[];
  /** The values fed, where known: an index past a table's rows is then traced to the input that holds it. */
  data?: ort.Tensor['data'];
}

/** Where the feed came from, for the message and the hint. */
export interface RunContext {
  /** The sample of the data that failed (`could not run on sample 3`). */
  sample?: number;
  /** The feed is the user's data (not synthetic): an out-of-range id is the data's to fix. */
  fromData?: boolean;
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
export function runFailure(
  error: unknown,
  fed: readonly FedTensor[],
  what: string,
  context: RunContext = {},
): StudioError {
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
  const on = context.sample === undefined ? 'the inputs it was given' : `sample ${context.sample}`;
  const index = status ? indexPastTable(status, fed, context) : undefined;
  return new StudioError(
    'BAD_INPUT',
    `${what} could not run on ${on} (${describeFeed(fed)}).${inside} ${index?.cause ?? 'The input shapes or values probably do not fit the model.'}`,
    { detail: reason, cliHint: index?.hint ?? RUN_FAILURE_CLI_HINT },
  );
}

/**
 * A Gather given an index past its table's rows (`idx=1500 must be within the inclusive range [-1000,999]`): the
 * input that holds that value (token ids of another vocabulary), or where none does, the dim longer than the
 * table (a position past the rows of a position embedding). Undefined for other failures.
 */
function indexPastTable(
  status: string,
  fed: readonly FedTensor[],
  context: RunContext,
): { cause: string; hint: string } | undefined {
  const match = /idx=(-?\d+) must be within the inclusive range \[(-?\d+),\s*(-?\d+)\]/.exec(status);
  if (!match) return undefined;
  const index = Number(match[1]);
  const rows = Number(match[3]) + 1;
  const holder = fed.find((t) => t.data !== undefined && holds(t.data, index));
  if (holder) {
    const ids = `'${holder.name}' holds ${index}, past the ${rows} rows of the table that node looks up: its values must be 0 to ${rows - 1}.`;
    const value = `--value ${holder.name}=0:${rows - 1}`;
    if (context.fromData) {
      return {
        cause: `The data's ${ids}`,
        hint: `Fix the data: the values of '${holder.name}' index a table of ${rows} rows (ids of another tokenizer or vocabulary are past it).`,
      };
    }
    return {
      cause: `Input ${ids}`,
      hint:
        context.fromData === false
          ? `Give '${holder.name}' values from 0 to ${rows - 1}: ${value}.`
          : `Give '${holder.name}' values from 0 to ${rows - 1}: fix the data, or ${value} for synthetic data.`,
    };
  }
  // A position past the table: the dim that long (index 64 of a 64-row table is position 64 of a longer one).
  const longer =
    index >= rows
      ? fed.flatMap((t) => t.shape.map((size, axis) => ({ t, size, axis }))).find((d) => d.size > index)
      : undefined;
  if (!longer) return undefined;
  const dim = `dim ${longer.axis} of '${longer.t.name}' (${longer.size})`;
  // Said as a fact only where every index-typed input's values were seen: a benchmark's error lists shapes only.
  const seen = fed.every((t) => (t.dtype !== 'int64' && t.dtype !== 'int32') || t.data !== undefined);
  const computed = seen
    ? `No input holds ${index}: it is computed, most likely a position, and`
    : `${index} is most likely a position:`;
  return {
    cause: `${computed} ${dim} is longer than the ${rows} rows of the table (a position embedding has a row per position).`,
    hint:
      context.fromData === true
        ? `Use samples of at most ${rows} positions.`
        : context.fromData === false
          ? `Set that dim to at most ${rows} with --dim or --shape.`
          : `Feed at most ${rows} positions: shorter samples, or --dim or --shape for synthetic data.`,
  };
}

/** Whether the values of an int64 or int32 tensor (the index types of Gather) include `value`. */
function holds(data: ort.Tensor['data'], value: number): boolean {
  if (data instanceof BigInt64Array) return data.includes(BigInt(value));
  return data instanceof Int32Array && data.includes(value);
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
  context: RunContext = {},
): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await (fetches ? session.run(feeds, [...fetches]) : session.run(feeds));
  } catch (error) {
    const fed = Object.entries(feeds).map(([name, t]) => ({
      name,
      dtype: t.type,
      shape: t.dims,
      data: t.data,
    }));
    throw runFailure(error, fed, what, context);
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
