/**
 * The made-up models the mock host answers with: the path its Open dialog "chooses", its bundled sample (the
 * product's sample at a made-up install folder), their summaries, and the method catalog. Data only, so every
 * other part of the mock names the same models.
 */
import type { SampleModelInfo } from '../../../../shared/ipc-contract.js';
import type { MethodCatalog } from '../../../../shared/method-catalog-types.js';
import type { ModelSummary } from '../../../../shared/model-summary.js';
import { buildMethodCatalog } from '../../../../shared/options/method-catalog.js';
import { PRODUCT_SAMPLE, sampleInFolder } from '../../../../shared/sample.js';

/** The path the mock Open dialog "chooses". */
export const MOCK_DIALOG_PATH = '/models/mobilenet-v2.onnx';
/** The mock's bundled sample. */
const MOCK_SAMPLE_DIR = '/opt/onnx-studio/samples/digits-resnet';
export const MOCK_SAMPLE_PATH = `${MOCK_SAMPLE_DIR}/${PRODUCT_SAMPLE.model}`;

/** The product's sample (shared/sample.ts), at a made-up install folder. */
export const MOCK_SAMPLE_INFO: SampleModelInfo = sampleInFolder(
  MOCK_SAMPLE_DIR,
  PRODUCT_SAMPLE,
  (dir, file) => `${dir}/${file}`,
);

/** A small but realistic summary (MobileNetV2-like) so every part of the summary view has data. */
export const SAMPLE_SUMMARY: ModelSummary = {
  path: MOCK_DIALOG_PATH,
  fileBytes: 13_964_571,
  externalDataBytes: 0,
  irVersion: 8,
  producer: { name: 'pytorch', version: '2.4.0' },
  opsets: { '': 17 },
  inputs: [{ name: 'input', dtype: 'float32', shape: ['batch', 3, 224, 224] }],
  outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch', 1000] }],
  nodes: 105,
  opCounts: { Conv: 52, Clip: 35, Add: 10, GlobalAveragePool: 1, Flatten: 1, Gemm: 1, Shape: 3, Gather: 2 },
  parameters: 3_487_816,
  parameterBytes: { float32: 13_951_264 },
  largestTensors: [
    { name: 'classifier.1.weight', dtype: 'float32', shape: [1000, 1280], bytes: 5_120_000 },
    { name: 'features.18.0.weight', dtype: 'float32', shape: [1280, 320, 1, 1], bytes: 1_638_400 },
  ],
};

/** The bundled sample's summary, as `onnx-studio inspect` gives it for electron/sample/digits-resnet. */
export const DIGITS_SUMMARY: ModelSummary = {
  path: MOCK_SAMPLE_PATH,
  fileBytes: 2_764_110,
  externalDataBytes: 0,
  irVersion: 7,
  producer: { name: 'pytorch', version: '1.13.0' },
  opsets: { '': 13 },
  inputs: [{ name: 'image', dtype: 'float32', shape: ['batch', 1, 32, 32] }],
  outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch', 10] }],
  nodes: 22,
  opCounts: { Conv: 9, Relu: 7, Add: 3, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 },
  parameters: 689_962,
  parameterBytes: { float32: 2_759_848 },
  largestTensors: [
    { name: 'onnx::Conv_110', dtype: 'float32', shape: [192, 192, 3, 3], bytes: 1_327_104 },
    { name: 'onnx::Conv_107', dtype: 'float32', shape: [192, 96, 3, 3], bytes: 663_552 },
  ],
};

/**
 * The real catalog (derived from the same option declarations as the engine's), plus one mock-only method
 * that always fails, for the error paths of the UI.
 */
export const MOCK_CATALOG: MethodCatalog = (() => {
  const catalog = buildMethodCatalog();
  catalog.quantize.methods.push({
    kind: 'quantize',
    name: 'fail',
    summary: 'a method that always fails (mock only)',
    needsCalibration: false,
    quantizedOutput: false,
    optionsSchema: {},
    fields: [],
  });
  return catalog;
})();
