import { clone } from '@bufbuild/protobuf';
import { type ModelProto, ValueInfoProtoSchema } from 'onnx-buf';
import { makeFloatTensor, makeNode } from '../onnx/graph-build.js';
import { buildKvCacheLm, KV_CACHE_LM, type KvCacheLmOptions } from './kv-cache-lm.js';

/*
 * buildKvCacheLm's decoder with the cache of `layers` layers, as a real export has (2 cache inputs and 2 present
 * outputs a layer; a 32-layer model has 64 of each). Layer 0 is the attention kv-cache-lm.ts builds; each further
 * layer n concatenates its own past with the new keys and values scaled by 1 + n/2, so the layers' outputs
 * differ and a quantizer's error grows with n (the worst output of a group is the last layer's). The extra layers
 * feed only their present outputs: logits are layer 0's.
 */

/** `past_key_values.N.key` / `present.N.value`: the names of layer N's cache. */
export const cacheName = (kind: 'past_key_values' | 'present', layer: number, part: 'key' | 'value') =>
  `${kind}.${layer}.${part}`;

export function buildKvCacheLayers(layers: number, options: KvCacheLmOptions = {}): ModelProto {
  const model = buildKvCacheLm(options);
  const graph = model.graph!;
  const past = { key: KV_CACHE_LM.pastKey, value: KV_CACHE_LM.pastValue };
  const present = Object.fromEntries(
    (['key', 'value'] as const).map((part) => [
      part,
      graph.output.find((o) => o.name === `present.0.${part}`)!,
    ]),
  );
  // The new layers' inputs go after layer 0's, where an export lists them (before use_cache_branch).
  const at = graph.input.findIndex((i) => i.name === past.value) + 1;
  const inputs = [];
  for (let n = 1; n < layers; n++) {
    graph.initializer.push(makeFloatTensor(`layer${n}.scale`, [], new Float32Array([1 + n / 2])));
    for (const part of ['key', 'value'] as const) {
      const pastIn = clone(
        ValueInfoProtoSchema,
        graph.input.find((i) => i.name === past[part])!,
      );
      pastIn.name = cacheName('past_key_values', n, part);
      inputs.push(pastIn);
      const out = clone(ValueInfoProtoSchema, present[part]!);
      out.name = cacheName('present', n, part);
      graph.output.push(out);
      // `k` and `v`: layer 0's new keys and values [batch, heads, sequence, head_dim] (kv-cache-lm.ts).
      const fresh = part === 'key' ? 'k' : 'v';
      graph.node.push(
        makeNode('Mul', [fresh, `layer${n}.scale`], [`layer${n}.${fresh}`], { name: `layer${n}.${fresh}` }),
        makeNode('Concat', [pastIn.name, `layer${n}.${fresh}`], [out.name], {
          name: out.name,
          attributes: { axis: { int: 2 } },
        }),
      );
    }
  }
  graph.input.splice(at, 0, ...inputs);
  return model;
}
