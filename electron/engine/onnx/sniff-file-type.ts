/**
 * Recognizes common files that users pick by mistake, so the error can say "this is a PNG image" instead of
 * a protobuf decoder message. Only the first bytes are looked at.
 */
const SIGNATURES: { name: string; bytes: number[]; hint?: string }[] = [
  { name: 'a PNG image', bytes: [0x89, 0x50, 0x4e, 0x47] },
  { name: 'a JPEG image', bytes: [0xff, 0xd8, 0xff] },
  { name: 'a GIF image', bytes: [0x47, 0x49, 0x46, 0x38] },
  { name: 'a PDF document', bytes: [0x25, 0x50, 0x44, 0x46] },
  {
    name: 'a ZIP archive',
    bytes: [0x50, 0x4b, 0x03, 0x04],
    hint: 'Unpack it and open the .onnx file inside.',
  },
  { name: 'a gzip archive', bytes: [0x1f, 0x8b], hint: 'Unpack it and open the .onnx file inside.' },
  { name: 'a NumPy array (.npy)', bytes: [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] },
  {
    name: 'a TensorFlow Lite model',
    bytes: [],
    hint: 'Convert it to ONNX first (for example with tf2onnx).',
  },
];

export function sniffFileType(head: Uint8Array): { name: string; hint?: string } | undefined {
  for (const sig of SIGNATURES) {
    if (sig.bytes.length > 0 && sig.bytes.every((b, i) => head[i] === b)) return sig;
  }
  // TFLite flatbuffers carry "TFL3" at offset 4.
  if (head[4] === 0x54 && head[5] === 0x46 && head[6] === 0x4c && head[7] === 0x33) {
    return SIGNATURES[SIGNATURES.length - 1];
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 64)).trimStart();
  if (text.startsWith('{') || text.startsWith('[')) return { name: 'a JSON text file' };
  if (text.startsWith('<'))
    return {
      name: 'an HTML or XML text file',
      hint: 'A download may have saved an error page instead of the model.',
    };
  if (text.startsWith('version https://git-lfs')) {
    return { name: 'a Git LFS pointer', hint: 'Run `git lfs pull` to fetch the real model file.' };
  }
  if (isPlainText(head.subarray(0, 64))) {
    return {
      name: 'a text file',
      hint: 'An ONNX model is a binary file: export the model to .onnx, or check that a download saved the model and not a page.',
    };
  }
  return undefined;
}

/**
 * Whether the head is printable ASCII and whitespace only. No ONNX file starts so: exporters write ir_version
 * (tag 0x08) first, and any other first field is followed within a few bytes by a length or tag byte outside
 * the printable range.
 */
function isPlainText(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  for (const b of head) {
    const whitespace = b === 0x09 || b === 0x0a || b === 0x0d;
    if (!whitespace && (b < 0x20 || b > 0x7e)) return false;
  }
  return true;
}
