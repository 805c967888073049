import { create, toBinary } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { ORT_LOG_SEVERITY } from './ort-logging.js';
import './ort-telemetry.js';
import { EXECUTION_PROVIDERS, type ExecutionProvider, type ProviderStatus } from '../../../shared/bench.js';
import { StudioError } from '../errors.js';

/*
 * Which execution providers work here. onnxruntime-node's `listSupportedBackends()` says which providers its
 * build for this platform knows about, but "listed" is not "works": CUDA is listed on Linux x64 even when its
 * libraries were never downloaded, and WebGPU is bundled but needs a GPU adapter. So a provider counts as
 * available only once a session was actually created with it.
 */

/** A one-node float model (Identity on [1]), the cheapest thing a provider can be asked to load. */
function probeModelBytes(): Uint8Array {
  const dims = [create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: 1n } })];
  const type = create(TypeProtoSchema, {
    value: {
      case: 'tensorType',
      value: create(TypeProto_TensorSchema, { elemType: TensorProto_DataType.FLOAT, shape: create(TensorShapeProtoSchema, { dim: dims }) }),
    },
  });
  const graph = create(GraphProtoSchema, {
    name: 'probe',
    node: [create(NodeProtoSchema, { opType: 'Identity', input: ['x'], output: ['y'], name: 'identity' })],
    input: [create(ValueInfoProtoSchema, { name: 'x', type })],
    output: [create(ValueInfoProtoSchema, { name: 'y', type })],
  });
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'onnx-studio-probe',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph,
  });
  return toBinary(ModelProtoSchema, model);
}

/** How to get a provider that is not available on this machine. */
export function providerHint(name: ExecutionProvider, platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  switch (name) {
    case 'cpu':
      return 'The CPU provider is always part of onnxruntime-node; reinstall dependencies with `npm ci`.';
    case 'cuda':
      return platform === 'linux' && arch === 'x64'
        ? 'CUDA needs an NVIDIA GPU with CUDA 12 and cuDNN 9, and onnxruntime-node\'s CUDA libraries, which are an opt-in download: run `npm run setup:cuda` in the ONNX Studio folder, then try again.'
        : `onnxruntime-node has no CUDA build for ${platform}-${arch}; CUDA works on Linux x64 only (there, run \`npm run setup:cuda\`).`;
    case 'tensorrt':
      return platform === 'linux' && arch === 'x64'
        ? 'TensorRT needs the CUDA setup (`npm run setup:cuda` in the ONNX Studio folder) plus NVIDIA TensorRT 10 libraries on the library path.'
        : `onnxruntime-node has no TensorRT build for ${platform}-${arch}; TensorRT works on Linux x64 only.`;
    case 'dml':
      return platform === 'win32'
        ? 'DirectML needs a DirectX 12 capable GPU and an up-to-date graphics driver.'
        : 'DirectML is Windows only; use cpu (or webgpu, cuda where available) here.';
    case 'coreml':
      return platform === 'darwin'
        ? 'CoreML needs macOS on Apple silicon or a recent Intel Mac.'
        : 'CoreML is macOS only; use cpu (or webgpu, cuda where available) here.';
    case 'webgpu':
      return 'WebGPU ships with onnxruntime-node but needs a GPU adapter: a GPU with current Vulkan (Linux), Metal (macOS) or Direct3D 12 (Windows) drivers.';
  }
}

/**
 * onnxruntime's first error line without its source location and failed-assertion text:
 * `/onnxruntime_src/.../webgpu_context.cc:136 ... was false. Failed to get a WebGPU adapter: No supported adapters`
 * becomes `Failed to get a WebGPU adapter: No supported adapters`.
 */
export function shortReason(message: string): string {
  const line = message.trim().split('\n')[0]?.trim() ?? '';
  const afterAssertion = / was false\. (.+)$/.exec(line);
  if (afterAssertion?.[1]) return afterAssertion[1];
  return line.replace(/^\S+\.(?:cc|cpp|h):\d+\s+/, '');
}

let probeBytes: Uint8Array | undefined;
/** Probe results are cached per process: probing loads provider libraries, which is slow and does not change. */
const probeCache = new Map<ExecutionProvider, Promise<ProviderStatus>>();

function listedBackends(): Map<string, { bundled: boolean }> {
  return new Map(ort.listSupportedBackends().map((b) => [b.name, { bundled: b.bundled }]));
}

async function probe(name: ExecutionProvider): Promise<ProviderStatus> {
  const listed = listedBackends().get(name);
  if (!listed) {
    return { name, listed: false, bundled: false, available: false, reason: `onnxruntime-node for ${process.platform}-${process.arch} does not include the ${name} provider.`, hint: providerHint(name) };
  }
  probeBytes ??= probeModelBytes();
  try {
    const session = await ort.InferenceSession.create(probeBytes, {
      executionProviders: [name],
      logSeverityLevel: ORT_LOG_SEVERITY,
    });
    await session.release();
    return { name, listed: true, bundled: listed.bundled, available: true };
  } catch (error) {
    const reason = shortReason(error instanceof Error ? error.message : String(error));
    return { name, listed: true, bundled: listed.bundled, available: false, reason, hint: providerHint(name) };
  }
}

/** The status of one provider, probing it (once per process) by creating a session. */
export function probeProvider(name: ExecutionProvider): Promise<ProviderStatus> {
  let status = probeCache.get(name);
  if (!status) {
    status = probe(name);
    probeCache.set(name, status);
  }
  return status;
}

/** Every known provider, in the order of `EXECUTION_PROVIDERS`; only those onnxruntime lists are probed. */
export async function probeProviders(): Promise<ProviderStatus[]> {
  const statuses: ProviderStatus[] = [];
  // One at a time: probes load native libraries, and a GPU driver may not like being initialized twice at once.
  for (const name of EXECUTION_PROVIDERS) statuses.push(await probeProvider(name));
  return statuses;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/**
 * Throws BAD_REQUEST saying why and how to get it when `name` cannot be used here. The probe also pays
 * onnxruntime's one-time start-up (its environment, thread pools, kernel registries) in this process, so the
 * session creation a benchmark times next does not include it.
 */
export async function ensureProviderAvailable(name: ExecutionProvider): Promise<void> {
  const status = await probeProvider(name);
  if (status.available) return;
  throw providerUnavailableError(status);
}

/** The BAD_REQUEST error for a provider a probe found unavailable (also for probes made in another process). */
export function providerUnavailableError(status: ProviderStatus): StudioError {
  return new StudioError(
    'BAD_REQUEST',
    `The ${status.name} execution provider is not available here: ${sentence(status.reason ?? 'unknown reason')} ${status.hint ?? ''} ` +
      `(\`onnx-studio bench --list-providers\` shows what works on this machine; cpu always does.)`,
    status.reason === undefined ? undefined : { detail: status.reason },
  );
}
