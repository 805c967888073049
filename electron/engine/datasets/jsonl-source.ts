import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import * as ort from 'onnxruntime-node';
import type { JsonlSpec } from '../../../shared/dataset-spec.js';
import { StudioError } from '../errors.js';
import type { ResolvedInput } from '../runtime/input-specs.js';
import type { DatasetReader } from './dataset-source.js';
import { limited, throwIfAborted } from './dataset-source.js';
import { isDatasetDtype, numbersToArray } from './element-convert.js';
import { checkInputNames, fitSample, type OverruledSizes, type SymbolBindings } from './input-match.js';
import { dataFileError, openDataFile } from './npy-source.js';
import type { Sample } from './sample-source.js';

/*
 * `.jsonl`: one sample per line, `{"inputs": {NAME: {"dims": [...], "data": [...]}}, "label": ...}`.
 * `data` may be flat with `dims`, or nested arrays whose nesting gives the shape (then `dims` may be left out); an input
 * may also be given as a bare nested array. Values become the model input's element type; integer inputs
 * need whole numbers, bool inputs true/false or 0/1. `label` is a class index or target value, or an array
 * of target values. Lines are read as a stream; blank lines are skipped.
 */

interface ParsedLine {
  inputs: Record<string, { dims: number[]; values: number[] }>;
  label: number | Float64Array | undefined;
}

/** Flattens nested arrays, returning the values and the shape the nesting implies. */
function flatten(value: unknown, where: string): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const values: number[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth < shape.length) {
      if (!Array.isArray(v) || v.length !== shape[depth]) throw new StudioError('BAD_REQUEST', `${where}: nested arrays are ragged (not a rectangular tensor).`);
      for (const x of v) walk(x, depth + 1);
      return;
    }
    if (typeof v === 'number') values.push(v);
    else if (typeof v === 'boolean') values.push(v ? 1 : 0);
    else throw new StudioError('BAD_REQUEST', `${where}: expected numbers, found ${JSON.stringify(v)}.`);
  };
  walk(value, 0);
  return { values, shape };
}

function parseLine(text: string, where: string): ParsedLine {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StudioError('BAD_REQUEST', `${where} is not valid JSON: ${(error as Error).message}.`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new StudioError('BAD_REQUEST', `${where}: expected an object {"inputs": {...}, "label": ...}.`);
  }
  const record = json as Record<string, unknown>;
  const unknownKeys = Object.keys(record).filter((k) => k !== 'inputs' && k !== 'label');
  if (unknownKeys.length > 0) {
    throw new StudioError('BAD_REQUEST', `${where}: unknown field ${unknownKeys.map((k) => `"${k}"`).join(', ')} (a line holds "inputs" and optionally "label").`);
  }
  const rawInputs = record.inputs;
  if (typeof rawInputs !== 'object' || rawInputs === null || Array.isArray(rawInputs)) {
    throw new StudioError('BAD_REQUEST', `${where}: "inputs" must be an object mapping input names to {"dims", "data"}.`);
  }
  const inputs: ParsedLine['inputs'] = {};
  for (const [name, value] of Object.entries(rawInputs as Record<string, unknown>)) {
    const at = `${where}, input '${name}'`;
    if (Array.isArray(value)) {
      const { values, shape } = flatten(value, at);
      inputs[name] = { dims: shape, values };
      continue;
    }
    if (typeof value !== 'object' || value === null) throw new StudioError('BAD_REQUEST', `${at}: expected {"dims": [...], "data": [...]}.`);
    const tensor = value as Record<string, unknown>;
    const extra = Object.keys(tensor).filter((k) => k !== 'dims' && k !== 'data');
    if (extra.length > 0) throw new StudioError('BAD_REQUEST', `${at}: unknown field ${extra.map((k) => `"${k}"`).join(', ')} (expected "dims" and "data").`);
    const { values, shape } = flatten(tensor.data, at);
    let dims: number[];
    if (tensor.dims !== undefined) {
      if (!Array.isArray(tensor.dims) || tensor.dims.some((d) => !Number.isInteger(d) || (d as number) < 0)) {
        throw new StudioError('BAD_REQUEST', `${at}: "dims" must be a list of non-negative integers.`);
      }
      dims = tensor.dims as number[];
      const size = dims.reduce((a, b) => a * b, 1);
      if (size !== values.length) throw new StudioError('BAD_REQUEST', `${at}: dims [${dims.join(', ')}] hold ${size} values but "data" has ${values.length}.`);
    } else {
      dims = shape;
    }
    inputs[name] = { dims, values };
  }
  return { inputs, label: labelOf(record, where) };
}

/** The label of a line's record: a number, an array of numbers, or undefined when the line has none. */
function labelOf(record: Record<string, unknown>, where: string): ParsedLine['label'] {
  if (record.label === undefined || record.label === null) return undefined;
  if (typeof record.label === 'number') return record.label;
  if (typeof record.label === 'boolean') return record.label ? 1 : 0;
  if (Array.isArray(record.label)) return Float64Array.from(flatten(record.label, `${where}, label`).values);
  throw new StudioError('BAD_REQUEST', `${where}: "label" must be a number or an array of numbers.`);
}

/** The tensors of one parsed line, checked against the model's inputs. */
function toFeed(
  line: ParsedLine,
  inputs: ResolvedInput[],
  where: string,
  overruled?: OverruledSizes,
): Record<string, ort.Tensor> {
  checkInputNames(inputs, Object.keys(line.inputs), where);
  const symbols: SymbolBindings = new Map();
  const feed: Record<string, ort.Tensor> = {};
  for (const input of inputs) {
    const given = line.inputs[input.name]!;
    const type = input.ortType;
    if (!isDatasetDtype(type)) throw new StudioError('BAD_REQUEST', `Input '${input.name}' is ${type}; .jsonl data can feed numeric and bool inputs only.`);
    const dims = fitSample(input, type, given.dims, where, symbols, overruled);
    const data = numbersToArray(given.values, type, `${where}, input '${input.name}'`);
    feed[input.name] = new ort.Tensor(type, data as ort.Tensor.DataType, dims);
  }
  return feed;
}

/** Non-blank lines of a file, counted as a stream (for progress totals). */
async function countLines(file: string): Promise<number> {
  let lines = 0;
  let blank = true;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === 0x0a) {
        if (!blank) lines++;
        blank = true;
      } else if (c !== 0x20 && c !== 0x09 && c !== 0x0d) blank = false;
    }
  }
  return blank ? lines : lines + 1;
}

async function* readLines(file: string): AsyncGenerator<{ text: string; number: number }> {
  const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let number = 0;
  try {
    for await (const text of lines) {
      number++;
      if (text.trim() !== '') yield { text, number };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

export const jsonlReader: DatasetReader<'jsonl'> = {
  kind: 'jsonl',
  summary: 'FILE.jsonl: one sample per line, {"inputs": {NAME: {"dims": [...], "data": [...]}}, "label": ...}',
  async open(spec: JsonlSpec, inputs, context) {
    const file = path.resolve(context.baseDir, spec.path);
    const base = path.basename(file);
    const { handle } = await openDataFile(file);
    await handle.close();
    let total: number;
    let first: ParsedLine | undefined;
    // Sizes of the input spec the first line overrules, said once (later lines may differ again: data decides).
    const overruled: OverruledSizes = new Map();
    // The inputs the lines hold: those of the first line. An input it leaves out whose values the user set is
    // filled by the spec (spec-filled-inputs.ts), sized like each line's other inputs.
    let fed = inputs;
    try {
      total = await countLines(file);
      for await (const line of readLines(file)) {
        const where = `${base} line ${line.number}`;
        first = parseLine(line.text, where);
        checkInputNames(inputs, Object.keys(first.inputs), where, { specFills: true });
        fed = inputs.filter((i) => first!.inputs[i.name] !== undefined);
        toFeed(first, fed, where, overruled);
        break;
      }
    } catch (error) {
      throw dataFileError(file, error);
    }
    if (!first) throw new StudioError('BAD_REQUEST', `${base} holds no samples (it is empty).`);
    const hasLabels = first.label !== undefined;
    const count = limited(total, context.limit);
    return {
      count,
      hasLabels,
      notes: [...overruled.values()],
      ...(fed.length < inputs.length ? { absentInputs: inputs.filter((i) => !fed.includes(i)) } : {}),
      describe: () => `${spec.path} (${total} samples)`,
      // The labels alone (label-survey.ts): each line is parsed, its inputs are not made into tensors. A line
      // that is not JSON is left to `samples`, which names it.
      ...(hasLabels
        ? {
            async *labels(signal?: AbortSignal): AsyncIterable<number | Float64Array> {
              let index = 0;
              for await (const line of readLines(file)) {
                if (index >= count) break;
                throwIfAborted(signal);
                const where = `${base} line ${line.number}`;
                let record: unknown;
                try {
                  record = JSON.parse(line.text);
                } catch {
                  record = undefined;
                }
                const label =
                  typeof record === 'object' && record !== null && !Array.isArray(record)
                    ? labelOf(record as Record<string, unknown>, where)
                    : undefined;
                if (label === undefined) return;
                yield label;
                index++;
              }
            },
          }
        : {}),
      async *samples(signal?: AbortSignal): AsyncIterable<Sample> {
        let index = 0;
        for await (const line of readLines(file)) {
          if (index >= count) break;
          throwIfAborted(signal);
          const where = `${base} line ${line.number}`;
          const parsed = parseLine(line.text, where);
          if ((parsed.label !== undefined) !== hasLabels) {
            throw new StudioError('BAD_REQUEST', `${where} ${hasLabels ? 'has no "label"' : 'has a "label"'} but the first sample ${hasLabels ? 'has one' : 'does not'}; label every sample or none.`);
          }
          const sample: Sample = { index, inputs: toFeed(parsed, fed, where) };
          if (parsed.label !== undefined) sample.label = parsed.label;
          yield sample;
          index++;
        }
      },
    };
  },
};
