import type { GraphProto, NodeProto, TensorProto } from 'onnx-buf';
import { varintSize } from './proto-wire-sizes.js';
import { nodeMatches, tensorMatches } from './verbatim-match.js';

/*
 * Where the decoder found each node and initializer of a graph in the bytes it decoded, so that saving a
 * model can copy the records of messages nobody changed instead of encoding them again (the stream
 * writer asks `verbatimSource`). Positions are byte offsets in the ArrayBuffer the model was decoded from.
 * Nothing here is trusted: a record is copied only after verbatim-match.ts has compared the message, field
 * by field, with the bytes it would be copied from, so a message changed in any way is encoded as before.
 */

const NODE = 0;
const TENSOR = 1;

/**
 * The records of one repeated graph field (nodes or initializers), in decoding order: where each record
 * (tag and length) starts, and where its payload starts and ends (plain arrays of small integers, which
 * V8 grows in place).
 */
class RecordList {
  readonly records: number[] = [];
  readonly starts: number[] = [];
  readonly ends: number[] = [];

  get count(): number {
    return this.starts.length;
  }

  add(recordStart: number, payloadStart: number, payloadEnd: number): void {
    this.records.push(recordStart);
    this.starts.push(payloadStart);
    this.ends.push(payloadEnd);
  }

  /**
   * Whether record `i` has a one-byte tag and a minimal length varint: then it is exactly what the writer
   * would put around the payload, and a run of such records can be copied as one.
   */
  canonical(i: number): boolean {
    const start = this.starts[i]!;
    return start - this.records[i]! === 1 + varintSize(this.ends[i]! - start);
  }
}

interface GraphRecords {
  /** Held weakly: a model whose weights were all replaced must not keep its source file's bytes alive. */
  source: WeakRef<ArrayBuffer>;
  lists: [RecordList, RecordList];
}

const recordsByGraph = new WeakMap<GraphProto, GraphRecords>();
/** The graph being decoded and its records (the decoder notes records of one graph after another). */
let current: { graph: GraphProto; bytes: Uint8Array; records: GraphRecords } | undefined;

/**
 * Notes that `graph`'s next node (field 1) or initializer (field 5) was decoded from `bytes`: its record
 * (tag and length) starts at `recordStart`, its payload spans [payloadStart, payloadEnd). Positions are
 * offsets in `bytes`.
 */
export function noteGraphRecord(
  graph: GraphProto,
  bytes: Uint8Array,
  field: number,
  recordStart: number,
  payloadStart: number,
  payloadEnd: number,
): void {
  if (current?.graph !== graph || current.bytes !== bytes) {
    let records = recordsByGraph.get(graph);
    if (!records || records.source.deref() !== bytes.buffer) {
      records = {
        source: new WeakRef(bytes.buffer as ArrayBuffer),
        lists: [new RecordList(), new RecordList()],
      };
      recordsByGraph.set(graph, records);
    }
    current = { graph, bytes, records };
  }
  const at = bytes.byteOffset;
  current.records.lists[field === 1 ? NODE : TENSOR].add(
    at + recordStart,
    at + payloadStart,
    at + payloadEnd,
  );
}

/** Drops the decoder's hold on the last graph it noted records of (called when a decode ends). */
export function forgetCurrentGraph(): void {
  current = undefined;
}

/** Lets `copy` (a copy of `graph` that shares its nodes and tensors) use the records `graph` was decoded from. */
export function shareSourceRecords(graph: GraphProto, copy: GraphProto): void {
  const records = recordsByGraph.get(graph);
  if (records) recordsByGraph.set(copy, records);
}

/**
 * Finds, for the items of one of a graph's lists, the source records they still match. Items are tried
 * against the record after the last one matched (and the one after that, which follows a deleted
 * item), then against the record at their own index; a tensor whose data is a view of the source is
 * also found by where its data lies, wherever it has moved in the list.
 */
export class VerbatimSource {
  private last = -1;

  constructor(
    /** The whole source ArrayBuffer, as bytes. */
    readonly bytes: Uint8Array,
    private readonly list: RecordList,
    private readonly kind: typeof NODE | typeof TENSOR,
  ) {}

  /** The source record matching `item` (the `index`-th of its list), or -1. */
  find(item: NodeProto | TensorProto, index: number): number {
    const next = this.last + 1;
    const candidate = this.matches(item, next)
      ? next
      : this.matches(item, next + 1)
        ? next + 1
        : index !== next && index !== next + 1 && this.matches(item, index)
          ? index
          : this.byData(item);
    if (candidate >= 0) this.last = candidate;
    return candidate;
  }

  /** Where record `i`'s payload starts and ends in `bytes`. */
  payloadStart(i: number): number {
    return this.list.starts[i]!;
  }

  payloadEnd(i: number): number {
    return this.list.ends[i]!;
  }

  /** A tensor whose data is a view of the source: the record holding that data, if the tensor matches it. */
  private byData(item: NodeProto | TensorProto): number {
    if (this.kind !== TENSOR) return -1;
    const raw = (item as TensorProto).rawData;
    if (raw.byteLength === 0 || raw.buffer !== this.bytes.buffer) return -1;
    const i = this.recordHolding(raw.byteOffset);
    return i >= 0 && this.matches(item, i) ? i : -1;
  }

  private matches(item: NodeProto | TensorProto, i: number): boolean {
    const list = this.list;
    if (i >= list.count || !list.canonical(i)) return false;
    const start = list.starts[i]!;
    const end = list.ends[i]!;
    return this.kind === NODE
      ? nodeMatches(item as NodeProto, this.bytes, start, end)
      : tensorMatches(item as TensorProto, this.bytes, start, end);
  }

  /** The record whose payload holds byte `at` (records are in file order), or -1. */
  private recordHolding(at: number): number {
    const { starts, ends, count } = this.list;
    let lo = 0;
    let hi = count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! <= at) lo = mid + 1;
      else hi = mid - 1;
    }
    return lo < count && starts[lo]! <= at ? lo : -1;
  }
}

/**
 * The source records of `graph`'s nodes (field 1) or initializers (field 5), when the graph was decoded
 * by the fast decoder and its source bytes are still in memory.
 */
export function verbatimSource(graph: GraphProto, field: number): VerbatimSource | undefined {
  const records = recordsByGraph.get(graph);
  if (!records) return undefined;
  const buffer = records.source.deref();
  if (!buffer) return undefined;
  const kind = field === 1 ? NODE : TENSOR;
  return new VerbatimSource(new Uint8Array(buffer), records.lists[kind], kind);
}
