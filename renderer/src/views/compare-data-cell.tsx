/**
 * The Compare table's Data cell: the data a row's quality figure was measured on, with how the engine read it.
 */
import { imageReadingGroups, type ImageReading } from '../../../shared/image-reading.js';
import type { DatasetIdentity } from '../../../shared/workspace.js';
import type { CompareRow } from '../state/compare-data.js';
import { imagePreprocessingOf } from '../state/experiment.js';

/**
 * The image preprocessing (from the evaluation's `imageReading`, values no one gave marked with where they came
 * from) and the evaluation's notes are tagged beside the name, and said in full on hover (as under the quality chart).
 */
export function DataCell({
  row,
  datasetLabel,
}: {
  row: CompareRow;
  datasetLabel: (dataset: DatasetIdentity) => string;
}) {
  const reading = row.imageReading;
  // An evaluation recorded before `imageReading` existed still says how its images were read, unmarked.
  const readAs = imagePreprocessingOf(reading, row.data);
  const notes = row.dataNotes ?? [];
  return (
    <td
      className="data-cell"
      data-testid="row-dataset"
      {...(row.data ? { title: `Read from ${row.data}` } : {})}
    >
      {row.dataset ? datasetLabel(row.dataset) : '–'}
      {readAs !== undefined && (
        <>
          {' '}
          <span className="tag" data-testid="row-preprocessing" title={`Images read as ${readAs}`}>
            {reading ? shortPreprocessing(reading) : `read as ${readAs.split(', ')[0]}, …`}
          </span>
        </>
      )}
      {notes.length > 0 && (
        <>
          {' '}
          <span className="tag warn" data-testid="row-data-notes" title={notes.join('\n')}>
            {notes.length === 1 ? '1 note' : `${notes.length} notes`}
          </span>
        </>
      )}
    </td>
  );
}

/**
 * The tag's short form: the first group of the reading (`read as 32x32 gray nchw (model input) · …`), so a guessed
 * size shows as one in the table too; the rest on hover.
 */
function shortPreprocessing(reading: ImageReading): string {
  const [first, ...rest] = imageReadingGroups(reading);
  return `read as ${first!.text}${rest.length > 0 ? ' · …' : ''}`;
}
