import * as ort from 'onnxruntime-node';
import type { DatasetDtype } from '../../../shared/dataset-spec.js';
import { StudioError } from '../errors.js';
import type { ResolvedInput } from '../runtime/input-specs.js';
import type { ByteReader } from './byte-reader.js';
import type { DatasetSource } from './dataset-source.js';
import { limited, throwIfAborted } from './dataset-source.js';
import { conversionNote, decodeElements } from './element-convert.js';
import { fitSample, type OverruledSizes, type SymbolBindings } from './input-match.js';
import { type NpyHeader, NPY_PREFIX_BYTES, npyHeaderLength, parseNpyHeader } from './npy-format.js';
import type { Sample } from './sample-source.js';

/*
 * Samples from `.npy` arrays whose first axis is the sample axis (a `.npy` file, or the arrays of a `.npz`),
 * read a batch of rows at a time from every array in step, so memory stays at one batch however large the
 * files are.
 */

/** Bytes of rows read at once across all arrays (one row at least). */
const BATCH_BYTES = 4 * 1024 * 1024;

/** One `.npy` byte stream: `open` gives a fresh reader at its first byte. */
export interface NpyColumn {
  /** Names the array in messages, e.g. `test.npy` or `data.npz: x`. */
  label: string;
  open(): Promise<ByteReader>;
}

interface OpenedColumn {
  header: NpyHeader;
  reader: ByteReader;
  rows: number;
  rowShape: number[];
  rowBytes: number;
}

/** Opens a column and reads its header, leaving the reader at the first data byte. */
async function openColumn(column: NpyColumn): Promise<OpenedColumn> {
  const reader = await column.open();
  try {
    const prefix = await reader.read(Math.min(NPY_PREFIX_BYTES, reader.remaining));
    const length = npyHeaderLength(prefix, column.label);
    const rest = await reader.read(length - prefix.length);
    const all = new Uint8Array(length);
    all.set(prefix);
    all.set(rest, prefix.length);
    const header = parseNpyHeader(all, column.label);
    if (header.shape.length === 0) {
      throw new StudioError('BAD_REQUEST', `${column.label} holds a single value; its first axis must list the samples.`);
    }
    if (reader.remaining < header.dataBytes) {
      throw new StudioError(
        'BAD_REQUEST',
        `${column.label} is truncated: its header promises ${header.dataBytes} bytes of data but only ${reader.remaining} follow. Re-create the file.`,
      );
    }
    const rowShape = header.shape.slice(1);
    const rowBytes = header.dataBytes / Math.max(1, header.shape[0]!);
    return { header, reader, rows: header.shape[0]!, rowShape, rowBytes };
  } catch (error) {
    await reader.close();
    throw error;
  }
}

export interface ArraySourceOptions {
  /** The array for each model input. */
  columns: { input: ResolvedInput; column: NpyColumn }[];
  labels?: NpyColumn;
  limit?: number;
  describe: string;
  notes?: string[];
  /** Model inputs with no array here, which the input spec's values fill (spec-filled-inputs.ts). */
  absentInputs?: ResolvedInput[];
}

interface Plan {
  input: ResolvedInput;
  column: NpyColumn;
  dims: number[];
  dtype: DatasetDtype;
}

/** One row of a labels column: a number for a scalar label, else the row's values. */
function decodeLabel(bytes: Uint8Array, column: OpenedColumn, kind: 'scalar' | 'vector' | undefined): number | Float64Array {
  const values = decodeElements(bytes, column.header.dtype, column.header.littleEndian, 'float64', 'labels') as Float64Array;
  return kind === 'scalar' ? values[0]! : values;
}

/** A DatasetSource over npy columns; headers, counts and shapes are checked here, before any sample. */
export async function arraySource(options: ArraySourceOptions): Promise<DatasetSource> {
  const symbols: SymbolBindings = new Map();
  const overruled: OverruledSizes = new Map();
  const plans: Plan[] = [];
  // Element types converted on the way to the model, said once per input (never per sample).
  const converted: string[] = [];
  let rows: number | undefined;
  let firstLabel = '';
  for (const { input, column } of options.columns) {
    const opened = await openColumn(column);
    await opened.reader.close();
    if (rows !== undefined && opened.rows !== rows) {
      throw new StudioError('BAD_REQUEST', `${column.label} has ${opened.rows} samples but ${firstLabel} has ${rows}; every array needs one row per sample.`);
    }
    rows = opened.rows;
    firstLabel = column.label;
    const dims = fitSample(input, opened.header.dtype, opened.rowShape, column.label, symbols, overruled);
    plans.push({ input, column, dims, dtype: opened.header.dtype });
    const note = conversionNote(opened.header.dtype, input.modelType ?? input.ortType, column.label, input.name);
    if (note) converted.push(note);
  }
  if (rows === undefined) throw new StudioError('BAD_REQUEST', 'The model has no inputs to feed.');
  if (rows === 0) throw new StudioError('BAD_REQUEST', `${firstLabel} holds no samples (its first axis is 0).`);
  let labelKind: 'scalar' | 'vector' | undefined;
  if (options.labels) {
    const opened = await openColumn(options.labels);
    await opened.reader.close();
    if (opened.rows !== rows) {
      throw new StudioError(
        'BAD_REQUEST',
        `${options.labels.label} has ${opened.rows} labels but ${firstLabel} has ${rows} samples; give exactly one label per sample.`,
      );
    }
    const perRow = opened.rowShape.reduce((a, b) => a * b, 1);
    labelKind = opened.rowShape.length === 0 || (opened.rowShape.length === 1 && perRow === 1) ? 'scalar' : 'vector';
  }
  const count = limited(rows, options.limit);
  const labels = options.labels;

  return {
    count,
    hasLabels: labels !== undefined,
    notes: [...(options.notes ?? []), ...converted, ...overruled.values()],
    ...(options.absentInputs?.length ? { absentInputs: options.absentInputs } : {}),
    describe: () => options.describe,
    ...(labels
      ? {
          // The labels column alone (label-survey.ts): a pass that reads no input.
          async *labels(signal?: AbortSignal): AsyncIterable<number | Float64Array> {
            const column = await openColumn(labels);
            try {
              const batchRows = Math.max(1, Math.floor(BATCH_BYTES / Math.max(1, column.rowBytes)));
              for (let start = 0; start < count; start += batchRows) {
                throwIfAborted(signal);
                const n = Math.min(batchRows, count - start);
                const chunk = await column.reader.read(n * column.rowBytes);
                for (let r = 0; r < n; r++) {
                  const bytes = chunk.subarray(r * column.rowBytes, (r + 1) * column.rowBytes);
                  yield decodeLabel(bytes, column, labelKind);
                }
              }
            } finally {
              await column.reader.close();
            }
          },
        }
      : {}),
    async *samples(signal?: AbortSignal): AsyncIterable<Sample> {
      const opened: OpenedColumn[] = [];
      try {
        for (const plan of plans) opened.push(await openColumn(plan.column));
        const labelColumn = labels ? await openColumn(labels) : undefined;
        if (labelColumn) opened.push(labelColumn);
        const rowBytes = opened.reduce((a, c) => a + c.rowBytes, 0);
        const batchRows = Math.max(1, Math.floor(BATCH_BYTES / Math.max(1, rowBytes)));
        for (let start = 0; start < count; start += batchRows) {
          throwIfAborted(signal);
          const n = Math.min(batchRows, count - start);
          const chunks = await Promise.all(opened.map((c) => c.reader.read(n * c.rowBytes)));
          for (let r = 0; r < n; r++) {
            throwIfAborted(signal);
            const index = start + r;
            const inputs: Record<string, ort.Tensor> = {};
            plans.forEach((plan, k) => {
              const column = opened[k]!;
              const bytes = chunks[k]!.subarray(r * column.rowBytes, (r + 1) * column.rowBytes);
              const what = `Input '${plan.input.name}', sample ${index} of ${plan.column.label}`;
              const data = decodeElements(bytes, plan.dtype, column.header.littleEndian, plan.input.ortType as DatasetDtype, what);
              inputs[plan.input.name] = new ort.Tensor(plan.input.ortType, data as ort.Tensor.DataType, plan.dims);
            });
            const sample: Sample = { index, inputs };
            if (labelColumn) {
              const bytes = chunks[plans.length]!.subarray(r * labelColumn.rowBytes, (r + 1) * labelColumn.rowBytes);
              sample.label = decodeLabel(bytes, labelColumn, labelKind);
            }
            yield sample;
          }
        }
      } finally {
        await Promise.all(opened.map((c) => c.reader.close()));
      }
    },
  };
}
