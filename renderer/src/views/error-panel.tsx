/**
 * An error the user can act on: what went wrong (the engine's message), what to do (a hint per error
 * code), and the technical detail folded away for bug reports.
 */
import { useId } from 'react';
import type { ErrorCode, StudioErrorInfo } from '../../../shared/errors.js';

const WHAT_TO_DO: Record<ErrorCode, string> = {
  MODEL_PARSE:
    'Check that the file is an ONNX model and was copied or downloaded completely. Re-exporting it from your framework usually fixes a damaged file.',
  MODEL_INVALID:
    // The engine's MODEL_INVALID messages name the fix where there is one (external data beside the model, ...).
    'The file is ONNX but cannot be used as it is: do what the message above says. If it names no fix, re-export the model with a newer exporter.',
  IO: 'Check that the file still exists and that you are allowed to read it, then try again.',
  ORT: 'onnxruntime could not load or run the model. Check that its opset and operators are supported, or try a different execution provider.',
  ENGINE_CRASHED:
    'The engine stopped unexpectedly and was restarted. Try again; if it happens again with this model, please report it.',
  CANCELLED: 'The operation was cancelled. Start it again when you are ready.',
  BAD_REQUEST: 'Choose an .onnx file with Open…, or drop one on the window.',
  // The engine's BAD_INPUT messages name the fix for the input they are about (data to remake where the model
  // fixes the dims, an input spec to set where it leaves them open): this must not contradict them.
  BAD_INPUT:
    "Do what the message above says. The data's samples must fit the model's inputs; the Model view's input spec sets only the dims the model leaves open, and the values of inputs that are not data.",
  INTERNAL: 'This is a bug in ONNX Studio. Please report it and include the technical details below.',
};

/** What to do about a failed job: its input is options and data rather than a file to open. */
export const JOB_WHAT_TO_DO: Partial<Record<ErrorCode, string>> = {
  BAD_REQUEST: 'Check the options and data the message names, correct them, and queue the job again.',
  BAD_INPUT:
    "Do what the message above says, then queue the job again. The data's samples must fit the model's inputs; the Model view's input spec sets only the dims the model leaves open, and the values of inputs that are not data.",
  IO: 'Check that the files the job reads exist and can be read, and that the workspace folder has free space.',
};

/**
 * What to do about a failed export (the Export view and the job list say the same): its file is the
 * destination it writes, not one it reads.
 */
export const EXPORT_WHAT_TO_DO = {
  BAD_REQUEST: 'Check the destination path (a full path to a file ending in .onnx) and try again.',
  IO: 'Check that the folder exists, that you may write there, and that the disk has space.',
} satisfies Partial<Record<ErrorCode, string>>;

/**
 * What to do about a failed job of this kind: the kind decides what a code means (an IO error of an export is
 * about where it writes; of another job, about what it reads).
 */
export function jobWhatToDo(kind: string): Partial<Record<ErrorCode, string>> {
  return kind === 'export' ? { ...JOB_WHAT_TO_DO, ...EXPORT_WHAT_TO_DO } : JOB_WHAT_TO_DO;
}

/**
 * `compact`: a smaller panel inside a list (a failed job), with a lower heading. `whatToDo` overrides the
 * per-code hints where the context knows better.
 */
export function ErrorPanel({
  title,
  error,
  compact = false,
  whatToDo,
}: {
  title: string;
  error: StudioErrorInfo;
  compact?: boolean;
  whatToDo?: Partial<Record<ErrorCode, string>>;
}) {
  const id = useId();
  const Heading = compact ? 'h3' : 'h2';
  return (
    <section className={compact ? 'error-panel compact' : 'error-panel'} role="alert" aria-labelledby={id}>
      <Heading id={id}>{title}</Heading>
      <p className="error-message">{error.message}</p>
      <p>
        <strong>What to do: </strong>
        {whatToDo?.[error.code] ?? WHAT_TO_DO[error.code]}
      </p>
      <details>
        <summary>Technical details</summary>
        <pre>{[`code: ${error.code}`, error.detail].filter(Boolean).join('\n')}</pre>
      </details>
    </section>
  );
}
