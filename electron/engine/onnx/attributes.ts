import {
  type AttributeProto,
  AttributeProto_AttributeType as T,
  type GraphProto,
  type NodeProto,
} from 'onnx-buf';
import { makeAttribute } from './graph-build.js';

/*
 * Reading and writing node attributes. Every reader checks the attribute's declared type: an
 * attribute of another type (a model onnxruntime would refuse) reads as absent, so that callers fall
 * back to the ONNX default instead of misreading the wrong field as 0. An attribute with no type at
 * all (IR version 1 files predate the field) is read from the field asked for.
 */

/** The attribute called `name`, whatever its type. */
export function attributeOf(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

function typed(node: NodeProto, name: string, type: T): AttributeProto | undefined {
  const a = attributeOf(node, name);
  return a && (a.type === type || a.type === T.UNDEFINED) ? a : undefined;
}

/** An INT attribute, or `fallback` (undefined when not given) when absent. */
export function intAttribute(node: NodeProto, name: string): number | undefined;
export function intAttribute(node: NodeProto, name: string, fallback: number): number;
export function intAttribute(node: NodeProto, name: string, fallback?: number): number | undefined {
  const a = typed(node, name, T.INT);
  return a ? Number(a.i) : fallback;
}

/** A FLOAT attribute, or `fallback` (undefined when not given) when absent. */
export function floatAttribute(node: NodeProto, name: string): number | undefined;
export function floatAttribute(node: NodeProto, name: string, fallback: number): number;
export function floatAttribute(node: NodeProto, name: string, fallback?: number): number | undefined {
  const a = typed(node, name, T.FLOAT);
  return a ? a.f : fallback;
}

/** An INTS attribute, or undefined when absent. */
export function intsAttribute(node: NodeProto, name: string): number[] | undefined {
  return typed(node, name, T.INTS)?.ints.map(Number);
}

/** A STRING attribute decoded as UTF-8, or `fallback` (undefined when not given) when absent. */
export function stringAttribute(node: NodeProto, name: string): string | undefined;
export function stringAttribute(node: NodeProto, name: string, fallback: string): string;
export function stringAttribute(node: NodeProto, name: string, fallback?: string): string | undefined {
  const a = typed(node, name, T.STRING);
  return a ? new TextDecoder().decode(a.s) : fallback;
}

/** A GRAPH attribute (an If branch, a Loop/Scan body), or undefined when absent. */
export function graphAttribute(node: NodeProto, name: string): GraphProto | undefined {
  return typed(node, name, T.GRAPH)?.g;
}

/** Sets (replacing in place, or appending) an INT attribute. */
export function setIntAttribute(node: NodeProto, name: string, value: number): void {
  const fresh = makeAttribute(name, { int: value });
  const i = node.attribute.findIndex((a) => a.name === name);
  if (i >= 0) node.attribute[i] = fresh;
  else node.attribute.push(fresh);
}

/** Drops the attributes with these names. */
export function removeAttributes(node: NodeProto, names: readonly string[]): void {
  node.attribute = node.attribute.filter((a) => !names.includes(a.name));
}
