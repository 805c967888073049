import type { DescMessage } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { readEntry, readTensor } from './fast-decode-tensor.js';
import { Fallback, RECURSION_LIMIT, Shapes, checkDepth, overrun, wrongWire } from './fast-decode-support.js';
import { readTypeProto } from './fast-decode-types.js';
import { forgetCurrentGraph, noteGraphRecord } from './source-spans.js';
import {
  BIT32,
  DELIMITED,
  VARINT,
  WireReader,
  fieldEnd,
  fieldWithin,
  forgetInternedStrings,
  tag,
} from './wire-reader.js';

/*
 * A hand-specialised decoder for the messages an ONNX graph is made of: GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto (with TypeProto, fast-decode-types.ts) and
 * StringStringEntryProto (fast-decode-tensor.ts). protobuf-es's reflective decoder dispatches every field
 * through maps of closures and allocates a tuple per tag, which shows on graphs of tens of thousands of
 * small messages (docs/benchmarks.md, "many small initializers").
 *
 * It builds exactly the objects protobuf-es builds from the float-list-free schema variant
 * (decode-model.ts): the same prototypes (proto2 defaults inherited, presence = own property), the same
 * fresh lists, `$typeName`, byte fields as views of the input, float_data/double_data as typed arrays.
 * Any field it does not handle (unknown field numbers, rarely used fields, a closed enum's unknown value)
 * is left to protobuf-es: the records are merged into the message by `mergeFromBinary`, in order, so
 * unknown fields are preserved as protobuf-es preserves them. Tests compare it with protobuf-es on every
 * model of ONNX's test-data collection (fast-decode.test.ts).
 */

// Tags: field number << 3 | wire type (0 varint, 2 length-delimited, 5 fixed32).

let shapes: Shapes | undefined;

/** The message shapes the decoder builds (made on first use). */
function decoderShapes(): Shapes {
  return (shapes ??= new Shapes());
}

/** Decodes a whole ModelProto (the input is little-endian host order checked by the caller). */
export function decodeModelFast(bytes: Uint8Array): ModelProto {
  const decoding = new FastModelDecoding(bytes);
  try {
    return decoding.finish();
  } finally {
    endDecoding();
  }
}

/** Lets go of what a decode kept between messages (interned names, the graph whose records it noted). */
export function endDecoding(): void {
  forgetInternedStrings();
  forgetCurrentGraph();
}

/**
 * A ModelProto decoded while its bytes arrive, so that decoding overlaps reading the file
 * (progressive-decode.ts). `advance(available)` reads every model field, and every field of the graph,
 * that lies wholly within the first `available` bytes; a field that is not all there yet waits. `finish()`
 * reads the rest, all bytes being there, and gives the model: the same model, field for field, as
 * decoding all the bytes at once, because fields are read in the same order by the same code. Throws
 * what decodeModelFast throws (it may throw already in advance()); the caller calls endDecoding() after.
 */
export class FastModelDecoding {
  private readonly r: WireReader;
  private readonly s = decoderShapes();
  private readonly model: ModelProto;
  private fallback: Fallback | undefined;
  /** The graph record being read: where it ends and its own records left to protobuf-es. */
  private open: { graph: GraphProto; end: number; fallback: Fallback | undefined } | undefined;

  constructor(bytes: Uint8Array) {
    this.r = new WireReader(bytes);
    this.model = this.s.model();
  }

  advance(available: number): void {
    const r = this.r;
    const whole = available >= r.len;
    for (;;) {
      const open = this.open;
      if (open) {
        while (r.pos < open.end) {
          if (!whole && !fieldWithin(r.buf, r.pos, available)) return;
          open.fallback = readGraphField(r, 2, open.graph, open.fallback);
        }
        if (r.pos !== open.end) throw overrun(GraphProtoSchema.typeName);
        open.fallback?.mergeInto(open.graph, r, 2);
        this.model.graph = open.graph;
        this.open = undefined;
      }
      if (r.pos >= r.len) return;
      const start = r.pos;
      const end = whole ? r.len : fieldEnd(r.buf, start, available);
      if (end < 0) return;
      const t = r.tag();
      if (t === tag(7, DELIMITED)) {
        // The graph is most of the file: entered as soon as its length is known, read field by field.
        const graphEnd = r.delimitedEnd();
        checkDepth(2, GraphProtoSchema.typeName);
        this.open = { graph: this.model.graph ?? this.s.graph(), end: graphEnd, fallback: undefined };
      } else if (end > available) {
        r.pos = start;
        return;
      } else {
        r.skip(t, RECURSION_LIMIT - 1);
        (this.fallback ??= new Fallback(this.s.modelDesc)).add(start, r.pos, t);
      }
    }
  }

  finish(): ModelProto {
    this.advance(this.r.len);
    this.fallback?.mergeInto(this.model, this.r, 1);
    this.fallback = undefined;
    return this.model;
  }
}

function readGraph(r: WireReader, end: number, depth: number, into?: GraphProto): GraphProto {
  checkDepth(depth, GraphProtoSchema.typeName);
  const graph = into ?? shapes!.graph();
  let fallback: Fallback | undefined;
  while (r.pos < end) fallback = readGraphField(r, depth, graph, fallback);
  if (r.pos !== end) throw overrun(GraphProtoSchema.typeName);
  fallback?.mergeInto(graph, r, depth);
  return graph;
}

/**
 * Reads the graph field at `r.pos` into `graph` (a graph at nesting `depth`). Returns the graph's records
 * left to protobuf-es, `fallback` or a new one when this field is the first of them; the caller merges
 * them once the graph ends. One field at a time so that a graph can be decoded as its bytes arrive
 * (FastModelDecoding).
 */
function readGraphField(
  r: WireReader,
  depth: number,
  graph: GraphProto,
  fallback: Fallback | undefined,
): Fallback | undefined {
  const s = shapes!;
  const start = r.pos;
  const t = r.tag();
  switch (t) {
    case tag(1, DELIMITED): {
      const end = r.delimitedEnd();
      const payload = r.pos;
      graph.node.push(readNode(r, end, depth + 1));
      noteGraphRecord(graph, r.buf, 1, start, payload, end);
      break;
    }
    case tag(5, DELIMITED): {
      const end = r.delimitedEnd();
      const payload = r.pos;
      graph.initializer.push(readTensor(r, end, depth + 1, s));
      noteGraphRecord(graph, r.buf, 5, start, payload, end);
      break;
    }
    case tag(2, DELIMITED):
      graph.name = r.string();
      break;
    case tag(11, DELIMITED):
      graph.input.push(readValueInfo(r, r.delimitedEnd(), depth + 1));
      break;
    case tag(12, DELIMITED):
      graph.output.push(readValueInfo(r, r.delimitedEnd(), depth + 1));
      break;
    case tag(13, DELIMITED):
      graph.valueInfo.push(readValueInfo(r, r.delimitedEnd(), depth + 1));
      break;
    case tag(10, DELIMITED):
      graph.docString = r.string();
      break;
    default:
      if (t >>> 3 <= 2 || t >>> 3 === 5 || (t >>> 3 >= 10 && t >>> 3 <= 13))
        throw wrongWire('GraphProto', t >>> 3, t & 7);
      r.skip(t, RECURSION_LIMIT - depth);
      (fallback ??= new Fallback(s.graphDesc)).add(start, r.pos, t);
  }
  return fallback;
}

function readNode(r: WireReader, end: number, depth: number): NodeProto {
  checkDepth(depth, NodeProtoSchema.typeName);
  const s = shapes!;
  const node = s.node();
  let fallback: Fallback | undefined;
  while (r.pos < end) {
    const start = r.pos;
    const t = r.tag();
    switch (t) {
      case tag(1, DELIMITED):
        node.input = r.stringRun(node.input, tag(1, DELIMITED), end);
        break;
      case tag(2, DELIMITED):
        node.output = r.stringRun(node.output, tag(2, DELIMITED), end);
        break;
      case tag(3, DELIMITED):
        node.name = r.string();
        break;
      case tag(4, DELIMITED):
        node.opType = r.string();
        break;
      case tag(5, DELIMITED):
        node.attribute.push(readAttribute(r, r.delimitedEnd(), depth + 1));
        break;
      case tag(6, DELIMITED):
        node.docString = r.string();
        break;
      case tag(7, DELIMITED):
        node.domain = r.string();
        break;
      case tag(8, DELIMITED):
        node.overload = r.string();
        break;
      case tag(9, DELIMITED):
        node.metadataProps.push(readEntry(r, r.delimitedEnd(), depth + 1, s));
        break;
      default:
        if (t >>> 3 <= 9) throw wrongWire('NodeProto', t >>> 3, t & 7);
        r.skip(t, RECURSION_LIMIT - depth);
        (fallback ??= new Fallback(s.nodeDesc)).add(start, r.pos, t);
    }
  }
  if (r.pos !== end) throw overrun(NodeProtoSchema.typeName);
  fallback?.mergeInto(node, r, depth);
  return node;
}

function readAttribute(r: WireReader, end: number, depth: number): AttributeProto {
  checkDepth(depth, AttributeProtoSchema.typeName);
  const s = shapes!;
  const attr = s.attribute();
  let fallback: Fallback | undefined;
  while (r.pos < end) {
    const start = r.pos;
    const t = r.tag();
    switch (t) {
      case tag(1, DELIMITED):
        attr.name = r.string();
        break;
      case tag(20, VARINT): {
        const value = r.int32();
        // A closed enum: protobuf-es keeps a value it does not know as an unknown field.
        if (s.attributeTypes.has(value)) attr.type = value;
        else (fallback ??= new Fallback(s.attributeDesc)).add(start, r.pos, t);
        break;
      }
      case tag(2, BIT32):
        attr.f = r.float();
        break;
      case tag(3, VARINT):
        attr.i = r.int64();
        break;
      case tag(4, DELIMITED):
        attr.s = r.bytes() as Uint8Array<ArrayBuffer>;
        break;
      case tag(5, DELIMITED):
        attr.t = readTensor(r, r.delimitedEnd(), depth + 1, s, attr.t);
        break;
      case tag(6, DELIMITED):
        attr.g = readGraph(r, r.delimitedEnd(), depth + 1, attr.g);
        break;
      case tag(7, BIT32):
        attr.floats.push(r.float());
        break;
      case tag(7, DELIMITED): {
        const listEnd = r.delimitedEnd();
        while (r.pos < listEnd) attr.floats.push(r.float());
        if (r.pos !== listEnd) throw overrun('packed list');
        break;
      }
      case tag(8, VARINT):
        attr.ints = r.int64Run(attr.ints, tag(8, VARINT), end);
        break;
      case tag(8, DELIMITED):
        attr.ints = r.packedInt64s(attr.ints);
        break;
      case tag(9, DELIMITED):
        attr.strings.push(r.bytes() as Uint8Array<ArrayBuffer>);
        break;
      case tag(10, DELIMITED):
        attr.tensors.push(readTensor(r, r.delimitedEnd(), depth + 1, s));
        break;
      case tag(11, DELIMITED):
        attr.graphs.push(readGraph(r, r.delimitedEnd(), depth + 1));
        break;
      case tag(13, DELIMITED):
        attr.docString = r.string();
        break;
      case tag(21, DELIMITED):
        attr.refAttrName = r.string();
        break;
      default:
        if (t >>> 3 <= 11 || t >>> 3 === 13 || t >>> 3 === 20 || t >>> 3 === 21)
          throw wrongWire('AttributeProto', t >>> 3, t & 7);
        r.skip(t, RECURSION_LIMIT - depth);
        (fallback ??= new Fallback(s.attributeDesc)).add(start, r.pos, t);
    }
  }
  if (r.pos !== end) throw overrun(AttributeProtoSchema.typeName);
  fallback?.mergeInto(attr, r, depth);
  return attr;
}

function readValueInfo(r: WireReader, end: number, depth: number): ValueInfoProto {
  checkDepth(depth, ValueInfoProtoSchema.typeName);
  const s = shapes!;
  const info = s.valueInfo();
  let fallback: Fallback | undefined;
  while (r.pos < end) {
    const start = r.pos;
    const t = r.tag();
    switch (t) {
      case tag(1, DELIMITED):
        info.name = r.string();
        break;
      case tag(2, DELIMITED):
        info.type = readTypeProto(r, r.delimitedEnd(), depth + 1, s, info.type);
        break;
      case tag(3, DELIMITED):
        info.docString = r.string();
        break;
      case tag(4, DELIMITED):
        info.metadataProps.push(readEntry(r, r.delimitedEnd(), depth + 1, s));
        break;
      default:
        if (t >>> 3 <= 4) throw wrongWire('ValueInfoProto', t >>> 3, t & 7);
        r.skip(t, RECURSION_LIMIT - depth);
        (fallback ??= new Fallback(s.valueInfoDesc)).add(start, r.pos, t);
    }
  }
  if (r.pos !== end) throw overrun(ValueInfoProtoSchema.typeName);
  fallback?.mergeInto(info, r, depth);
  return info;
}

/** For tests: the message types this decoder builds itself (the rest come from protobuf-es). */
export const SPECIALISED_TYPES: readonly DescMessage[] = [
  ModelProtoSchema,
  GraphProtoSchema,
  NodeProtoSchema,
  AttributeProtoSchema,
  TensorProtoSchema,
  ValueInfoProtoSchema,
  StringStringEntryProtoSchema,
];
