import { describe, expect, it } from 'vitest';
import { create, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { sniffFileType } from './sniff-file-type.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('sniffFileType', () => {
  it('names files users pick by mistake from their first bytes', () => {
    expect(sniffFileType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]))?.name).toBe('a PNG image');
    expect(sniffFileType(new Uint8Array([0x50, 0x4b, 0x03, 0x04]))?.hint).toMatch(/Unpack it/);
    expect(sniffFileType(bytes('  {"inputs": [1, 2]}'))?.name).toBe('a JSON text file');
    expect(sniffFileType(bytes('<!DOCTYPE html><html>'))?.hint).toMatch(/error page/);
    expect(sniffFileType(bytes('version https://git-lfs.github.com/spec/v1\n'))?.name).toBe(
      'a Git LFS pointer',
    );
  });

  it('calls any other plain text a text file (a README or notes saved as .onnx)', () => {
    expect(sniffFileType(bytes('These are my notes about the model.\nLayer sizes: 3x3\n'))).toEqual({
      name: 'a text file',
      hint: expect.stringMatching(/^An ONNX model is a binary file/),
    });
  });

  it('lets every real model through, whatever its first field', () => {
    // Exporters write ir_version first; a model without it starts with another tag and a length byte.
    const models = [
      create(ModelProtoSchema, { irVersion: 8n, producerName: 'pytorch', docString: 'x'.repeat(200) }),
      create(ModelProtoSchema, {
        producerName: 'a producer name of forty characters long',
        docString: 'doc',
      }),
      create(ModelProtoSchema, { docString: 'A model documented at length, '.repeat(5) }),
    ];
    for (const model of models)
      expect(sniffFileType(toBinary(ModelProtoSchema, model).subarray(0, 64))).toBeUndefined();
  });
});
