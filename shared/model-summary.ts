/**
 * What `inspect` reports about a model. This is the JSON contract of `onnx-studio inspect --json` and the
 * Model view of the app. Sizes are bytes.
 */
export interface TensorSummary {
  name: string;
  /** Lower-case element type, e.g. `float32`, `float16`, `int8`. */
  dtype: string;
  /** Static dims are numbers; symbolic dims are their names; unknown dims are `null`. */
  shape: (number | string | null)[];
  /** The model declares no shape at all, not even a rank (`shape` is then empty, but it is not a scalar). */
  rankUnknown?: true;
  /** Inputs only: the constant table this input's values index (token ids into an embedding), if any. */
  indexes?: IndexedTable;
  /**
   * Inputs only: dims whose positions (0 to size - 1, a `Range` over the dim's size) index a constant table, such
   * as a position embedding: the dim can be no longer than `longest`, the table's rows past the range's start.
   */
  positionTables?: PositionTable[];
}

/** A constant an input indexes through a Gather: its name and its size along the Gather's axis. */
export interface IndexedTable {
  table: string;
  rows: number;
}

/** A dim of an input whose positions index a constant table (PositionTable of TensorSummary.positionTables). */
export interface PositionTable extends IndexedTable {
  /** The input's axis. */
  axis: number;
  /** The largest size the dim can take: the table's rows past the first position (`rows` for a range from 0). */
  longest: number;
}

export interface LargestTensor {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
}

/** An external data file of a model: where the model says it is, and what the model keeps in it. */
export interface ExternalDataFile {
  /** The location as the model writes it, relative to the model's folder (`model.onnx.data`, `weights/w.bin`). */
  location: string;
  /** Bytes of tensor data the model reads from it (the files' bytes add up to `externalDataBytes`). */
  bytes: number;
  /** How many tensors keep their data in it. */
  tensors: number;
}

export interface ModelSummary {
  path: string;
  /** Size of the .onnx file itself. */
  fileBytes: number;
  /** Bytes of tensor data stored in external data files. */
  externalDataBytes: number;
  /**
   * The external data files, in the order the model first names them; empty without external data (absent in
   * summaries saved before it existed).
   */
  externalDataFiles?: ExternalDataFile[];
  irVersion: number;
  producer: { name: string; version: string };
  /** Opset version per domain; the default ONNX domain is `""`. */
  opsets: Record<string, number>;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  /** Nodes of the main graph (subgraph nodes not counted). */
  nodes: number;
  /** Node count per op type, main graph only; non-default domains are written `domain::OpType`. */
  opCounts: Record<string, number>;
  /** The same for the nodes inside subgraphs (If branches, Loop and Scan bodies), nested ones included; empty without subgraphs (absent in summaries saved before it existed). */
  subgraphOpCounts?: Record<string, number>;
  /**
   * Logical elements of every constant tensor (initializers, sparse initializers, Constant nodes), subgraphs
   * included, but quantization parameters: a packed 4-bit weight counts its weights (MatMulNBits: K x N), not its
   * bytes, so quantizing leaves the count as it was.
   */
  parameters: number;
  /** Elements of the scales and zero points of quantized weights and activations, not in `parameters`; absent for none. */
  quantizationParameters?: number;
  /** Bytes of constant tensor data per dtype. */
  parameterBytes: Record<string, number>;
  /** The ten largest constant tensors. */
  largestTensors: LargestTensor[];
}

/**
 * The folder of an external data location relative to the model's folder, `''` beside the model, as a model
 * resolves it: `weights\\w.bin` and `./weights/w.bin` are in `weights`, `sub/../w.bin` is beside the model.
 */
function dataFolderOf(location: string): string {
  const parts: string[] = [];
  for (const part of location.replace(/\\/g, '/').split('/').slice(0, -1)) {
    if (part === '' || part === '.') continue;
    if (part === '..' && parts.length > 0 && parts.at(-1) !== '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/**
 * Where external data files lie, for a sentence: `beside the model`, `in the folder weights/ beside the model`,
 * `beside the model and in the folder weights/ beside it`. Said from their locations as the model writes them:
 * "beside the model" of a file in a subfolder made a user copy it flat, and the model no longer found it.
 */
export function externalDataPlace(locations: readonly string[]): string {
  const folders = [...new Set(locations.map(dataFolderOf))];
  const named = folders.filter((f) => f !== '').map((f) => `${f}/`);
  if (named.length === 0) return 'beside the model';
  const list =
    named.length === 1
      ? `the folder ${named[0]}`
      : `the folders ${named.slice(0, -1).join(', ')} and ${named.at(-1)}`;
  return folders.includes('') ? `beside the model and in ${list} beside it` : `in ${list} beside the model`;
}
