import { describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { ensureProviderAvailable, probeProvider, providerHint, shortReason } from './execution-providers.js';

/** A provider onnxruntime-node does not include for this platform at all. */
const foreign = process.platform === 'darwin' ? 'dml' : 'coreml';

describe('execution providers', () => {
  it('reports cpu as available after a real session creation', async () => {
    expect(await probeProvider('cpu')).toEqual({ name: 'cpu', listed: true, bundled: true, available: true });
    await expect(ensureProviderAvailable('cpu')).resolves.toBeUndefined();
  });

  // Probing GPU providers loads their native libraries, which belongs in the engine process: the full list
  // is tested through the engine host (engine-client.test.ts). Here only what needs no native probe.
  it('reports a provider this build does not include without probing it', async () => {
    const status = await probeProvider(foreign);
    expect(status).toMatchObject({ name: foreign, listed: false, available: false });
    expect(status.reason).toMatch(/does not include/);
    expect(status.hint).toMatch(/only/);
  });

  it('refuses an unavailable provider with a clear BAD_REQUEST saying how to get it', async () => {
    const error = await ensureProviderAvailable(foreign).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('BAD_REQUEST');
    expect((error as StudioError).message).toMatch(new RegExp(`The ${foreign} execution provider is not available here`));
    expect((error as StudioError).message).toMatch(/--list-providers/);
  });

  it('points Linux x64 users at the CUDA opt-in script', () => {
    expect(providerHint('cuda', 'linux', 'x64')).toMatch(/npm run setup:cuda/);
    expect(providerHint('tensorrt', 'linux', 'x64')).toMatch(/npm run setup:cuda/);
    expect(providerHint('cuda', 'darwin', 'arm64')).toMatch(/Linux x64 only/);
    expect(providerHint('dml', 'linux', 'x64')).toMatch(/Windows only/);
    expect(providerHint('coreml', 'win32', 'x64')).toMatch(/macOS only/);
  });
});

describe('shortReason', () => {
  it('drops onnxruntime source locations and assertion text', () => {
    expect(
      shortReason(
        "/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\nmore",
      ),
    ).toBe('Failed to get a WebGPU adapter: No supported adapters');
    expect(shortReason('/src/x.cc:12 Something broke')).toBe('Something broke');
    expect(shortReason('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library')).toBe(
      'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library',
    );
  });
});
