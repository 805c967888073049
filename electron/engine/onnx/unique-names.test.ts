import { describe, expect, it } from 'vitest';
import { buildIfModel, buildSparseInitializerModel } from '../testing/model-fixtures.js';
import { UniqueNameGenerator, collectNames } from './unique-names.js';

describe('collectNames', () => {
  it('collects value, node and initializer names, including subgraphs and sparse initializers', () => {
    const names = collectNames(buildIfModel().graph!);
    for (const n of [
      'input',
      'cond',
      'output',
      'hidden',
      'if.out',
      'in.weight',
      'shared.weight',
      'branch',
      'relu',
    ]) {
      expect(names.has(n)).toBe(true);
    }
    // Names that only appear inside the If branches.
    for (const n of ['then.out', 'else.out', 'then_matmul', 'else_add']) expect(names.has(n)).toBe(true);
    expect(names.has('')).toBe(false);
    expect(collectNames(buildSparseInitializerModel().graph!).has('sparse.weight')).toBe(true);
  });
});

describe('UniqueNameGenerator', () => {
  it('never collides with the graph or its own earlier names', () => {
    const model = buildIfModel();
    const gen = new UniqueNameGenerator(model);
    expect(gen.next('fresh')).toBe('fresh');
    expect(gen.next('fresh')).toBe('fresh_1');
    expect(gen.next('fresh')).toBe('fresh_2');
    expect(gen.next('hidden')).toBe('hidden_1');
    expect(gen.next('then.out')).toBe('then.out_1'); // defined only in a subgraph
    expect(gen.next('then_matmul')).toBe('then_matmul_1'); // a node name in a subgraph
    expect(gen.next('')).toBe('value');
  });

  it('skips suffixed names that already exist, and reserved names', () => {
    const gen = new UniqueNameGenerator(['w', 'w_1', 'w_3']);
    gen.reserve('w_2');
    expect(gen.next('w')).toBe('w_4');
    expect(gen.next('w')).toBe('w_5');
    expect(gen.has('w_5')).toBe(true);
  });

  it('produces many distinct names', () => {
    const graph = buildIfModel().graph!;
    const existing = collectNames(graph);
    const gen = new UniqueNameGenerator(graph);
    const made = new Set<string>();
    for (let i = 0; i < 500; i++) made.add(gen.next(i % 2 ? 'hidden' : 'q'));
    expect(made.size).toBe(500);
    for (const n of made) expect(existing.has(n)).toBe(false);
  });
});
