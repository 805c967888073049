import {
  create,
  mergeFromBinary,
  ScalarType,
  type DescField,
  type DescMessage,
  type Message,
} from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type StringStringEntryProto,
  type TensorProto,
  type TensorShapeProto,
  type TensorShapeProto_Dimension,
  type TypeProto,
  type TypeProto_Tensor,
  type ValueInfoProto,
} from 'onnx-buf';
import { restoreFloatLists } from './float-lists.js';
import { fixedWidthOf } from './proto-wire-sizes.js';
import { variantMessage } from './variant-schema.js';
import { forEachTensorIn } from './walk-tensors.js';
import { BIT32, BIT64, DELIMITED, VARINT, type WireReader } from './wire-reader.js';

/** protobuf-es's default nesting limit (fromBinary's recursionLimit). */
export const RECURSION_LIMIT = 100;

export function wrongWire(message: string, field: number, wire: number): Error {
  return new Error(`${message} field ${field} has wire type ${wire}, which that field cannot have`);
}

export function overrun(typeName: string): Error {
  return new Error(`a ${typeName} runs past the end of the message that holds it`);
}

/** Throws like protobuf-es when nesting passes its recursion limit. */
export function checkDepth(depth: number, typeName: string): void {
  if (depth > RECURSION_LIMIT)
    throw new Error(
      `cannot decode message ${typeName} from binary: maximum recursion depth of ${RECURSION_LIMIT} reached`,
    );
}

type Mutable = Record<string, unknown>;

/**
 * The one empty list a decoded tensor's unused typed-data lists share (frozen: a write throws instead of
 * changing every tensor). A model of 20,000 raw-data tensors otherwise holds 160,000 empty arrays; sharing them
 * takes 11% off the peak memory of its load (bench-io). Only the decoder writes to these lists.
 */
export const NO_ITEMS = Object.freeze([]) as unknown as never[];

/** The tensor lists that start as NO_ITEMS. */
export const SHARED_TENSOR_LISTS = [
  'floatData',
  'int32Data',
  'stringData',
  'int64Data',
  'externalData',
  'doubleData',
  'uint64Data',
  'metadataProps',
] as const;

/** The tensor's own list `key`, in place of the shared empty one, for the decoder to write to. */
export function ownList<K extends (typeof SHARED_TENSOR_LISTS)[number]>(
  tensor: TensorProto,
  key: K,
): TensorProto[K] {
  if (tensor[key] === NO_ITEMS) tensor[key] = [] as unknown as TensorProto[K];
  return tensor[key];
}

/**
 * Fresh messages as protobuf-es's `create()` makes them from the variant schema: an object whose
 * prototype holds the proto2 defaults (shared with protobuf-es's own, so the objects are indistinguishable),
 * `$typeName`, then an empty array for each list field, in the schema's member order (fresh, except a
 * tensor's typed-data lists: NO_ITEMS). Written out per type because this runs once per node and tensor;
 * fast-decode.test.ts checks each against `create()`.
 */
export class Shapes {
  readonly modelDesc = variantMessage(ModelProtoSchema.typeName);
  readonly graphDesc = variantMessage(GraphProtoSchema.typeName);
  readonly nodeDesc = variantMessage(NodeProtoSchema.typeName);
  readonly attributeDesc = variantMessage(AttributeProtoSchema.typeName);
  readonly tensorDesc = variantMessage(TensorProtoSchema.typeName);
  readonly valueInfoDesc = variantMessage(ValueInfoProtoSchema.typeName);
  readonly entryDesc = variantMessage(StringStringEntryProtoSchema.typeName);
  readonly typeDesc = variantMessage(TypeProtoSchema.typeName);
  readonly typeTensorDesc = variantMessage(TypeProto_TensorSchema.typeName);
  readonly shapeDesc = variantMessage(TensorShapeProtoSchema.typeName);
  readonly dimensionDesc = variantMessage(TensorShapeProto_DimensionSchema.typeName);

  /** The values protobuf-es accepts for the closed enums read here (others become unknown fields). */
  readonly attributeTypes = enumValues(this.attributeDesc, 'type');
  readonly dataLocations = enumValues(this.tensorDesc, 'dataLocation');

  private readonly modelPrototype = prototypeOf(this.modelDesc);
  private readonly graphPrototype = prototypeOf(this.graphDesc);
  private readonly nodePrototype = prototypeOf(this.nodeDesc);
  private readonly attributePrototype = prototypeOf(this.attributeDesc);
  private readonly tensorPrototype = prototypeOf(this.tensorDesc);
  private readonly valueInfoPrototype = prototypeOf(this.valueInfoDesc);
  private readonly entryPrototype = prototypeOf(this.entryDesc);
  private readonly typePrototype = prototypeOf(this.typeDesc);
  private readonly typeTensorPrototype = prototypeOf(this.typeTensorDesc);
  private readonly shapePrototype = prototypeOf(this.shapeDesc);
  private readonly dimensionPrototype = prototypeOf(this.dimensionDesc);

  // Constructors rather than Object.create: V8 then sizes the objects to their fields (in-object
  // properties, no separate property store), which matters for 40,000 messages that all survive.
  private readonly modelCtor = constructorOf(this.modelPrototype, function (this: Mutable) {
    this.$typeName = 'onnx.ModelProto';
    this.opsetImport = [];
    this.metadataProps = [];
    this.trainingInfo = [];
    this.functions = [];
    this.configuration = [];
  }) as unknown as new () => ModelProto;
  private readonly graphCtor = constructorOf(this.graphPrototype, function (this: Mutable) {
    this.$typeName = 'onnx.GraphProto';
    this.node = [];
    this.initializer = [];
    this.sparseInitializer = [];
    this.input = [];
    this.output = [];
    this.valueInfo = [];
    this.quantizationAnnotation = [];
    this.metadataProps = [];
  }) as unknown as new () => GraphProto;
  private readonly nodeCtor = constructorOf(this.nodePrototype, function (this: Mutable) {
    this.$typeName = 'onnx.NodeProto';
    this.input = [];
    this.output = [];
    this.attribute = [];
    this.metadataProps = [];
    this.deviceConfigurations = [];
  }) as unknown as new () => NodeProto;
  private readonly attributeCtor = constructorOf(this.attributePrototype, function (this: Mutable) {
    this.$typeName = 'onnx.AttributeProto';
    this.floats = [];
    this.ints = [];
    this.strings = [];
    this.tensors = [];
    this.graphs = [];
    this.sparseTensors = [];
    this.typeProtos = [];
  }) as unknown as new () => AttributeProto;
  private readonly tensorCtor = constructorOf(this.tensorPrototype, function (this: Mutable) {
    this.$typeName = 'onnx.TensorProto';
    this.dims = [];
    this.floatData = NO_ITEMS;
    this.int32Data = NO_ITEMS;
    this.stringData = NO_ITEMS;
    this.int64Data = NO_ITEMS;
    this.externalData = NO_ITEMS;
    this.doubleData = NO_ITEMS;
    this.uint64Data = NO_ITEMS;
    this.metadataProps = NO_ITEMS;
  }) as unknown as new () => TensorProto;
  private readonly valueInfoCtor = constructorOf(this.valueInfoPrototype, function (this: Mutable) {
    this.$typeName = 'onnx.ValueInfoProto';
    this.metadataProps = [];
  }) as unknown as new () => ValueInfoProto;
  private readonly entryCtor = constructorOf(this.entryPrototype, function (this: Mutable) {
    this.$typeName = 'onnx.StringStringEntryProto';
  }) as unknown as new () => StringStringEntryProto;
  private readonly typeProtoCtor = constructorOf(this.typePrototype, function (this: Mutable) {
    this.$typeName = 'onnx.TypeProto';
    this.value = { case: undefined };
  }) as unknown as new () => TypeProto;
  private readonly typeTensorCtor = constructorOf(this.typeTensorPrototype, function (this: Mutable) {
    this.$typeName = 'onnx.TypeProto.Tensor';
  }) as unknown as new () => TypeProto_Tensor;
  private readonly shapeCtor = constructorOf(this.shapePrototype, function (this: Mutable) {
    this.$typeName = 'onnx.TensorShapeProto';
    this.dim = [];
  }) as unknown as new () => TensorShapeProto;
  private readonly dimensionCtor = constructorOf(this.dimensionPrototype, function (this: Mutable) {
    this.$typeName = 'onnx.TensorShapeProto.Dimension';
    this.value = { case: undefined };
  }) as unknown as new () => TensorShapeProto_Dimension;

  model(): ModelProto {
    return new this.modelCtor();
  }

  graph(): GraphProto {
    return new this.graphCtor();
  }

  node(): NodeProto {
    return new this.nodeCtor();
  }

  attribute(): AttributeProto {
    return new this.attributeCtor();
  }

  /** A tensor with float_data and double_data already set to empty lists (the variant schema lacks them). */
  tensor(): TensorProto {
    return new this.tensorCtor();
  }

  valueInfo(): ValueInfoProto {
    return new this.valueInfoCtor();
  }

  entry(): StringStringEntryProto {
    return new this.entryCtor();
  }

  typeProto(): TypeProto {
    return new this.typeProtoCtor();
  }

  typeTensor(): TypeProto_Tensor {
    return new this.typeTensorCtor();
  }

  shape(): TensorShapeProto {
    return new this.shapeCtor();
  }

  dimension(): TensorShapeProto_Dimension {
    return new this.dimensionCtor();
  }
}

function constructorOf(prototype: object, init: (this: Mutable) => void): unknown {
  (init as unknown as { prototype: object }).prototype = prototype;
  return init;
}

/** The prototype protobuf-es gives messages of this type (proto2 field defaults). */
function prototypeOf(desc: DescMessage): object {
  return Object.getPrototypeOf(create(desc)) as object;
}

function enumValues(desc: DescMessage, localName: string): ReadonlySet<number> {
  const field = desc.fields.find((f) => f.localName === localName);
  if (field?.fieldKind !== 'enum') throw new Error(`${desc.typeName}.${localName} is not an enum field`);
  return new Set(field.enum.values.map((v) => v.number));
}

/** The messages a message field holds (none for scalar fields). */
function messagesIn(message: Mutable, field: DescField): Message[] {
  if (field.fieldKind === 'list' && field.listKind === 'message')
    return message[field.localName] as Message[];
  if (field.fieldKind !== 'message') return [];
  if (field.oneof) {
    const oneof = message[field.oneof.localName] as { case?: string; value?: Message };
    return oneof.case === field.localName && oneof.value ? [oneof.value] : [];
  }
  const value = message[field.localName] as Message | undefined;
  return value ? [value] : [];
}

const wireTypeCache = new WeakMap<DescMessage, Map<number, readonly number[]>>();

/** The wire types each known field of a type can be written with (both forms for packable lists). */
function wireTypesOf(desc: DescMessage): Map<number, readonly number[]> {
  let byField = wireTypeCache.get(desc);
  if (byField) return byField;
  byField = new Map();
  for (const field of desc.fields) byField.set(field.number, fieldWireTypes(field));
  wireTypeCache.set(desc, byField);
  return byField;
}

function fieldWireTypes(field: DescField): readonly number[] {
  switch (field.fieldKind) {
    case 'message':
      return [field.delimitedEncoding ? 3 : 2];
    case 'map':
      return [2];
    case 'enum':
      return [0];
    case 'scalar':
      return [scalarWireType(field.scalar)];
    case 'list': {
      if (field.listKind === 'message') return [field.delimitedEncoding ? 3 : 2];
      const wire = field.listKind === 'enum' ? 0 : scalarWireType(field.scalar);
      return wire === 2 ? [2] : [wire, 2];
    }
  }
}

function scalarWireType(scalar: ScalarType): number {
  if (scalar === ScalarType.STRING || scalar === ScalarType.BYTES) return DELIMITED;
  // The fixed widths are declared once (proto-wire-sizes.ts); bool has one but is a varint on the wire.
  const width = scalar === ScalarType.BOOL ? undefined : fixedWidthOf(scalar);
  return width === 8 ? BIT64 : width === 4 ? BIT32 : VARINT;
}

/**
 * Records of one message that the specialised decoder leaves to protobuf-es: ranges of the input (tag
 * and value), merged into the message in order with `mergeFromBinary`, which is how protobuf-es reads
 * those fields anyway. Adjacent records (a list's items, written together) merge in one call.
 */
export class Fallback {
  private readonly ranges: number[] = [];
  private readonly fields: number[] = [];

  constructor(private readonly desc: DescMessage) {}

  add(start: number, end: number, tag: number): void {
    const field = tag >>> 3;
    const allowed = wireTypesOf(this.desc).get(field);
    // protobuf-es reads a known field by its type whatever the wire type says, so a corrupt record
    // spans other bytes there than here: such input is left to it whole (see decodeModel).
    if (allowed !== undefined && !allowed.includes(tag & 7))
      throw new Error(`${this.desc.typeName} field ${field} has wire type ${tag & 7}`);
    const n = this.ranges.length;
    if (n > 0 && this.ranges[n - 1] === start) this.ranges[n - 1] = end;
    else this.ranges.push(start, end);
    if (!this.fields.includes(field)) this.fields.push(field);
  }

  get pending(): boolean {
    return this.ranges.length > 0;
  }

  /** Merges the records so far into `message` (at nesting `depth`, 1 for the model) and forgets them. */
  mergeInto(message: object, r: WireReader, depth: number): void {
    const options = { recursionLimit: RECURSION_LIMIT + 1 - depth };
    for (let i = 0; i < this.ranges.length; i += 2) {
      mergeFromBinary(
        this.desc,
        message as Message,
        r.buf.subarray(this.ranges[i], this.ranges[i + 1]),
        options,
      );
    }
    // Tensors that protobuf-es decoded (inside sparse tensors, functions, training info, ...) hold their
    // float lists as unknown fields, as in the all-protobuf-es path.
    for (const no of this.fields) {
      const field = this.desc.fields.find((f) => f.number === no);
      if (!field) continue;
      const child = field.message;
      if (!child) continue;
      for (const value of messagesIn(message as Mutable, field))
        forEachTensorIn(child, value, restoreFloatLists);
    }
    this.ranges.length = 0;
    this.fields.length = 0;
  }
}
