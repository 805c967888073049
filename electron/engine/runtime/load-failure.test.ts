import { create } from '@bufbuild/protobuf';
import { OperatorSetIdProtoSchema, TensorProto_DataType } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeGraph, makeModel, modelBytes } from '../testing/model-fixtures.js';
import { createSession } from './create-session.js';

/*
 * Models onnxruntime refuses get its reason without C++ source locations, and advice that fits the cause.
 * The messages come from onnxruntime itself, on models built here.
 */

const FLOAT = TensorProto_DataType.FLOAT;

function reluModel(opType: string, domain: string, opset: number) {
  const model = makeModel(
    makeGraph('g', {
      nodes: [makeNode(opType, ['x'], ['y'], { name: 'act', ...(domain ? { domain } : {}) })],
      inputs: [makeValueInfo('x', FLOAT, [1, 4])],
      outputs: [makeValueInfo('y', FLOAT, [1, 4])],
    }),
    opset,
  );
  if (domain) model.opsetImport.push(create(OperatorSetIdProtoSchema, { domain, version: 1n }));
  return modelBytes(model);
}

async function loadError(bytes: Uint8Array): Promise<{ code: string; message: string }> {
  try {
    await createSession(bytes);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('onnxruntime loaded the model');
}

describe('models onnxruntime refuses', () => {
  it('an opset newer than onnxruntime: export again with the newest it supports', async () => {
    const error = await loadError(reluModel('Relu', '', 99));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toMatch(
      /opset newer than this onnxruntime supports for ai\.onnx \(up to \d+\): export it again with opset \d+ or lower\./,
    );
    expect(error.message).not.toMatch(/onnxruntime_src|::|\.\./);
  });

  it('a custom-domain operator: it needs its custom-op library', async () => {
    const error = await loadError(reluModel('FancyAct', 'com.acme', 17));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toContain(
      "FancyAct of domain 'com.acme', a custom operator onnxruntime does not know",
    );
    expect(error.message).not.toContain('opset often helps');
  });

  it("strips the C++ locations of macOS and Windows builds too, and keeps the model's own path", async () => {
    const { withoutSourceLocations } = await import('./load-failure.js');
    const mac =
      'Load model from /Users/me/onnxruntime/m.onnx failed:/Users/runner/work/1/s/onnxruntime/core/graph/model_load_utils.h:46 void onnxruntime::model_load_utils::ValidateOpsetForDomain(const std::unordered_map<std::string, int>&, bool) Opset 30 is under development.';
    const windows =
      'D:\\a\\_work\\1\\s\\onnxruntime\\core\\graph\\model_load_utils.h:46 onnxruntime::model_load_utils::ValidateOpsetForDomain(const int&) Opset 30 is under development.';
    expect(withoutSourceLocations(mac)).toBe('Opset 30 is under development.');
    expect(withoutSourceLocations(windows)).toBe('Opset 30 is under development.');
  });
});
