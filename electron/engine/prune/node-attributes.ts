import { AttributeProto_AttributeType, type NodeProto } from 'onnx-buf';
import { makeAttribute } from '../onnx/graph-build.js';

/*
 * Reading and writing node attributes with the ONNX defaults applied, for the pruning analysis.
 */

/** An INT attribute, or `fallback` when absent. */
export function intAttr(node: NodeProto, name: string, fallback: number): number {
  const a = node.attribute.find((x) => x.name === name);
  return a && a.type === AttributeProto_AttributeType.INT ? Number(a.i) : fallback;
}

/** A FLOAT attribute, or `fallback` when absent. */
export function floatAttr(node: NodeProto, name: string, fallback: number): number {
  const a = node.attribute.find((x) => x.name === name);
  return a && a.type === AttributeProto_AttributeType.FLOAT ? a.f : fallback;
}

/** An INTS attribute, or undefined when absent. */
export function intsAttr(node: NodeProto, name: string): number[] | undefined {
  const a = node.attribute.find((x) => x.name === name);
  return a && a.type === AttributeProto_AttributeType.INTS ? a.ints.map(Number) : undefined;
}

/** A STRING attribute, or `fallback` when absent. */
export function stringAttr(node: NodeProto, name: string, fallback: string): string {
  const a = node.attribute.find((x) => x.name === name);
  return a && a.type === AttributeProto_AttributeType.STRING ? new TextDecoder().decode(a.s) : fallback;
}

/** Sets (or adds) an INT attribute. */
export function setIntAttr(node: NodeProto, name: string, value: number): void {
  const fresh = makeAttribute(name, { int: value });
  const i = node.attribute.findIndex((x) => x.name === name);
  if (i >= 0) node.attribute[i] = fresh;
  else node.attribute.push(fresh);
}

/** A short label for a node in reports: its name, or its op type and first output. */
export function nodeLabel(node: NodeProto): string {
  if (node.name !== '') return node.name;
  const out = node.output.find((o) => o !== '');
  return out === undefined ? node.opType : `${node.opType}(${out})`;
}
