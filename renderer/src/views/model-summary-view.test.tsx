import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../../shared/model-summary.js';
import { SAMPLE_SUMMARY } from '../host/mock/fixtures.js';
import { ExternalDataNote } from './model-summary-view.js';

const withData = (externalDataFiles: ModelSummary['externalDataFiles']): ModelSummary => ({
  ...SAMPLE_SUMMARY,
  fileBytes: 1024,
  externalDataBytes: (externalDataFiles ?? []).reduce((n, f) => n + f.bytes, 0) || 3 * 2 ** 20,
  ...(externalDataFiles ? { externalDataFiles } : {}),
});

/** The text of the view's external data part: the note, and its table of files. */
function externalData(summary: ModelSummary): string {
  return renderToStaticMarkup(<ExternalDataNote summary={summary} />)
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

describe("the Model view's external data (user test 3c, finding 9)", () => {
  it('lists each data file with its location relative to the model, tensors and size', () => {
    const text = externalData(
      withData([
        { location: 'weights/w1.bin', bytes: 2 * 2 ** 20, tensors: 3 },
        { location: 'weights/w2.bin', bytes: 2 ** 20, tensors: 1 },
      ]),
    );
    // Not "beside the model" / "in the same folder": copied flat, the model would not find them.
    expect(text).toContain(
      'External data: 3.00 MiB of weights (100% of 3.00 MiB) live in 2 files in the folder weights/ beside the model. ' +
        'Copy them along with the model, to the same places relative to it; exported variants carry their own.',
    );
    expect(text).toContain('weights/w1.bin 3 2.00 MiB weights/w2.bin 1 1.00 MiB');
    expect(text).not.toContain('same folder');
  });

  it('says one file beside the model as such; a summary saved before files were listed names none', () => {
    expect(externalData(withData([{ location: 'model.onnx.data', bytes: 2 ** 20, tensors: 4 }]))).toContain(
      'live in one file beside the model. Copy it along with the model, to the same place relative to it;',
    );
    const older = externalData(withData(undefined));
    expect(older).toContain('live in files the model names relative to its own folder.');
    expect(older).not.toContain('beside the model');
    expect(externalData(SAMPLE_SUMMARY)).toBe(
      'External data: none. Every weight is stored inside the .onnx file.',
    );
  });
});
