/**
 * The Export view: save the chosen variant where the user wants it (an export job writes it atomically; it
 * never replaces the original or another file without an explicit confirmation), get the report (HTML with
 * charts, and JSON) as a download or written into a folder, and the exact CLI command that makes the variant
 * again.
 */
import { useEffect, useId, useRef, useState } from 'react';
import {
  bestVariantOf,
  describeBestQuality,
  describeBudget,
  describeRule,
  bestBadge,
  measureOf,
  type BestVariant,
  type QualityBudget,
  type QualityMeasure,
  workspaceBudget,
} from '../../../shared/best-variant.js';
import type { StudioErrorInfo } from '../../../shared/errors.js';
import type { Workspace } from '../../../shared/workspace.js';
import { commandWritingTo, shellWords } from '../../../shared/cli-command.js';
import { dataFileOf } from '../../../shared/data-file-name.js';
import { defaultExportFileName } from '../../../shared/export-checks.js';
import { downloadText, safeFileName } from '../export/download.js';
import { PathField } from '../forms/path-field.js';
import { exportBasePath } from './export-folder.js';
import { baseName, formatBytes } from '../format.js';
import type { StudioHost } from '../host/studio-host.js';
import {
  compareRows,
  formatMs,
  formatQuality,
  formatRatio,
  latencyNoiseNote,
  measurementSources,
  pickQualityMetric,
  qualityOf,
  type CompareRow,
  type QualityMetric,
} from '../state/compare-data.js';
import { formatPerplexity, isAccuracy, QUALITY_NOUNS } from '../state/quality-words.js';
import { isActive } from '../state/studio-state.js';
import type { Studio } from '../state/use-studio.js';
import type { Variant } from '../state/variants.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { ErrorPanel, EXPORT_WHAT_TO_DO } from './error-panel.js';
import { VariantActions } from './variant-actions.js';
import { VariantNotes } from './variant-notes.js';

/**
 * The file the variant's CLI command writes (the `-o` of its last `onnx-studio` line, unquoted), so the
 * destination suggested here is the name the command shown below it uses: `/models/net-int8-dynamic.onnx`.
 */
export function cliOutputPath(cli: string | undefined): string | undefined {
  const line = cli
    ?.split('\n')
    .filter((l) => l.trimStart().startsWith('onnx-studio '))
    .at(-1);
  if (!line) return undefined;
  const args = shellWords(line);
  const i = args.indexOf('-o');
  return i >= 0 ? args[i + 1] : undefined;
}

/**
 * Where to suggest saving a variant: beside the original, named after its display name
 * (`defaultExportFileName`, shared/export-checks.ts): `/models/net.onnx` + `int8-static (2)` →
 * `/models/net-int8-static-2.onnx`. Not the file its CLI command writes: two variants of one recipe (a plain and
 * a tuned int8-static) wrote the same file, so one export replaced the other. A default name reads as the
 * command's file (`net-structured20-int8-dynamic.onnx`); `names` (every variant's) keeps two that read alike apart.
 */
export function suggestedDestination(
  originalPath: string,
  label: string,
  names: readonly string[] = [],
): string {
  const slash = Math.max(originalPath.lastIndexOf('/'), originalPath.lastIndexOf('\\'));
  return `${originalPath.slice(0, slash + 1)}${defaultExportFileName(originalPath, label, names)}`;
}

/**
 * The budget a variant is judged by, and whether it is the last Auto-optimize run's (said in the sentence: a
 * budget the user gave should be the one named).
 */
interface JudgedBy {
  budget: QualityBudget;
  fromTune: boolean;
}

/** Which variant Export starts with, and why. */
export type Preselection = JudgedBy &
  (
    | { id: string; why: 'best'; best: BestVariant }
    | { id: string; why: 'newest'; measure?: QualityMeasure; engine?: string }
  );

/** The budget Export judges by: the workspace's (shared/best-variant.ts `workspaceBudget`), as the report's. */
export function exportBudget(workspace: Workspace | null | undefined): JudgedBy {
  return workspaceBudget(workspace);
}

/**
 * The variant Export preselects: the best one as the report picks it (shared/best-variant.ts, the workspace's budget:
 * on one engine, the fastest, then smallest, within the quality budget that is faster or smaller than the
 * original), else the newest when none is measured well enough to be called best.
 */
export function preselectVariant(
  made: readonly Pick<Variant, 'id'>[],
  workspace: Workspace | null | undefined,
): Preselection | undefined {
  const judged = exportBudget(workspace);
  const decided = workspace ? bestVariantOf(workspace, judged.budget) : undefined;
  const best = decided?.best;
  if (best && made.some((v) => v.id === best.row.target))
    return { id: best.row.target, why: 'best', best, ...judged };
  const newest = made.at(-1);
  if (!newest) return undefined;
  const measure = judged.budget.measure ?? (decided && measureOf(decided.rows));
  return {
    ...judged,
    id: newest.id,
    why: 'newest',
    ...(measure ? { measure } : {}),
    ...(decided?.engine ? { engine: decided.engine } : {}),
  };
}

/** Why the preselected variant is the one chosen, in a sentence under the list, naming the engine that timed it. */
export function describePreselection(p: Preselection, label: string): string {
  const source = p.fromTune ? " The budget is the last Auto-optimize run's." : '';
  if (p.why === 'best') {
    const b = p.best;
    // The speed as the noise of its run decides it (shared/latency-noise.ts), never the bare ratio.
    const speed =
      b.speed === 'same'
        ? b.unreliable
          ? 'from a run too noisy to tell it from the original'
          : 'within noise of the original'
        : `${b.speed} than the original`;
    // Chosen for its size while slower beyond noise, it is not called "best" here either (its badge says so too).
    const as =
      b.chosenAs === 'smallest' && b.speed === 'slower'
        ? 'though slower than the original'
        : 'as the best variant';
    return (
      `${label} is preselected ${as}: ${describeRule(b, b.measure, p.budget)} ` +
      `(${b.p50Ratio.toFixed(2)}x p50 latency, ${speed} in the same ${b.engine} benchmark; ` +
      `${b.row.sizeRatio.toFixed(2)}x size; ${describeBestQuality(b, p.budget)}).${source}`
    );
  }
  return (
    `${label} is preselected as the newest variant: no variant is both measured (latency${p.engine ? ` on ${p.engine}` : ''}, ` +
    `and accuracy, agreement or output cosine) and within the budget (${describeBudget(p.measure, p.budget)}) while faster or ` +
    `smaller than the original.${source}`
  );
}

/**
 * A variant's quality figure with what it is: `accuracy 98.06% on digits-test`, a language model's
 * `next-token accuracy 41.20% (perplexity 12.34) on ids.npy`, or, without labels, `top-1 agreement with the
 * original 99.17%` (easily read as accuracy when unlabelled).
 */
export function describeQuality(variant: Variant, metric: QualityMetric | undefined): string {
  const value = metric ? qualityOf(variant, metric) : undefined;
  if (metric === undefined || value === undefined) return 'not evaluated';
  const figure = `${QUALITY_NOUNS[metric]} ${formatQuality(value, metric)}`;
  if (!isAccuracy(metric)) return figure;
  const perplexity = variant.evaluation?.nextToken?.perplexity;
  const data = variant.evaluation?.dataset?.name ?? variant.evaluation?.data;
  return (
    figure +
    (metric === 'nextTokenAccuracy' && perplexity !== undefined
      ? ` (perplexity ${formatPerplexity(perplexity)})`
      : '') +
    (data ? ` on ${data}` : '')
  );
}

/** An example of a full path, in the words every destination message uses. */
const FULL_PATH_EXAMPLE = 'Give a full path such as /home/you/model.onnx';

/**
 * Where a typed destination points, checked here before anything is sent: the backend takes absolute paths
 * only, and its refusal ("The request to studio:job.start was malformed: outputPath: ...") reads like a bug.
 * An absolute path is taken as typed; a relative one is resolved against the model's folder (and the form shows
 * the result); `~` is refused, since nothing here expands it.
 */
export function resolveDestination(
  typed: string,
  modelPath: string,
  what: 'file' | 'folder' = 'file',
): { ok: true; path: string; relative: boolean } | { ok: false; message: string } {
  const example = what === 'file' ? FULL_PATH_EXAMPLE : 'Give a full path such as /home/you/reports';
  const path = typed.trim();
  if (path === '') {
    return {
      ok: false,
      message:
        what === 'file'
          ? `Enter where to save the variant. ${example}.`
          : `Enter the folder to write the report into. ${example}.`,
    };
  }
  if (path.startsWith('~')) return { ok: false, message: `~ is not expanded here. ${example}.` };
  if (/^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path)) return { ok: true, path, relative: false };
  const windows =
    /^[A-Za-z]:[\\/]|^\\\\/.test(modelPath) || (modelPath.includes('\\') && !modelPath.includes('/'));
  const sep = windows ? '\\' : '/';
  const folder = folderOf(modelPath);
  const parts = folder.split(/[\\/]/);
  // The root's empty first part (`/models` → ['', 'models']) or drive (`C:`) is never popped by `..`.
  const root = parts.shift() ?? '';
  for (const part of path.split(/[\\/]/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  // A UNC folder (\\server\share) keeps both of its leading backslashes.
  const unc = modelPath.startsWith('\\\\') ? '\\' : '';
  return { ok: true, path: `${unc}${root}${sep}${parts.filter((p) => p !== '').join(sep)}`, relative: true };
}

function folderOf(path: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return slash <= 0 ? path.slice(0, slash + 1) : path.slice(0, slash);
}

/**
 * What the replace question says: every existing file the export would replace, the data file it writes beside
 * the model included (a tester's own DEST.onnx.data was replaced without a word when only the model's name
 * was checked).
 */
export function replaceQuestion(path: string, replaces: readonly string[] = [path]): string {
  const data = replaces.filter((f) => f !== path);
  if (!replaces.includes(path))
    return `${data.map(baseName).join(' and ')} already exists beside ${baseName(path)}: the export writes the variant's weights there. Replacing it cannot be undone.`;
  if (data.length === 0) return `${path} already exists. Replacing it cannot be undone.`;
  return `${path} already exists, and so does ${data.map(baseName).join(' and ')} beside it, where the export writes the variant's weights. Replacing them cannot be undone.`;
}

/**
 * Whether a variant keeps its weights in an external data file: variants are saved with external data exactly
 * when the model they were made from has it (transform-model.ts), and only a variant with a data file has no
 * sha256 (variant-files.ts). Export writes that file beside the copy, and the page says so before and after.
 */
export function keepsExternalData(
  variant: Pick<Variant, 'isOriginal' | 'sha256'>,
  originalDataBytes: number,
): boolean {
  return !variant.isOriginal && originalDataBytes > 0 && variant.sha256 === undefined;
}

/** The Save as hint, naming the data file written beside `destination` when the variant has one (and its size). */
export function saveHint(destination: string | undefined, data: { bytes: number } | undefined): string {
  const where =
    "A full path on the machine running ONNX Studio (a relative one is taken from the model's folder).";
  if (!data) return `${where} The file is written completely or not at all.`;
  const dataFile = destination ? baseName(dataFileOf(destination)) : 'a .onnx.data file';
  return (
    `${where} The variant keeps its weights in external data, so ${dataFile} is written beside it: ` +
    `${formatBytes(data.bytes)} for the two files, each written completely or not at all. Keep them together.`
  );
}

type SaveState =
  | { kind: 'idle' }
  | { kind: 'saving' }
  | { kind: 'confirm'; reason: 'exists' | 'original'; path: string; replaces?: string[] }
  | { kind: 'saved'; path: string; bytes: number; dataFile?: string }
  | { kind: 'failed'; error: StudioErrorInfo };

type ReportState =
  | { kind: 'idle' }
  | { kind: 'working' }
  | { kind: 'saved'; htmlPath: string; jsonPath: string }
  | { kind: 'downloaded' }
  | { kind: 'failed'; error: StudioErrorInfo };

export function ExportView({
  host,
  studio,
  onGoToOptimize,
  onMakeFrom,
}: {
  host: StudioHost;
  studio: Studio;
  onGoToOptimize: () => void;
  /** Start new recipes from this variant (in Optimize). */
  onMakeFrom: (target: string) => void;
}) {
  const { state, variants, actions } = studio;
  const model = state.model;
  const made = variants.filter((v) => !v.isOriginal);
  const [chosenId, setChosenId] = useState<string | undefined>(undefined);
  const preselected = preselectVariant(made, state.workspace);
  const chosen = made.find((v) => v.id === chosenId) ?? made.find((v) => v.id === preselected?.id);
  const [destination, setDestination] = useState('');
  const [save, setSave] = useState<SaveState>({ kind: 'idle' });
  const [reportDir, setReportDir] = useState('');
  const [report, setReport] = useState<ReportState>({ kind: 'idle' });
  const [copied, setCopied] = useState(false);
  const id = useId();

  // A new choice suggests a new destination beside the original.
  // The bundled sample's folder is the app's own (read-only when installed): suggest the home folder for it.
  const modelPath = model?.path && exportBasePath(model.path, studio.appInfo);
  const chosenLabel = chosen?.label;
  // Read when the choice (or its name) changes, not a dependency: a variant made meanwhile must not replace
  // a destination the user typed.
  const names = useRef<string[]>([]);
  names.current = made.map((v) => v.label);
  useEffect(() => {
    if (modelPath && chosenLabel) setDestination(suggestedDestination(modelPath, chosenLabel, names.current));
    setSave({ kind: 'idle' });
  }, [modelPath, chosenLabel]);
  useEffect(() => {
    if (modelPath)
      setReportDir(
        `${folderOf(modelPath)}/${safeFileName(baseName(modelPath).replace(/\.onnx$/i, ''))}-report`.replace(
          /\/\//g,
          '/',
        ),
      );
  }, [modelPath]);

  if (!model) return null;
  if (!chosen) {
    return (
      <section className="empty-hint" aria-labelledby="export-empty-title">
        <h2 id="export-empty-title">No variant to export yet</h2>
        <p>
          Export saves a variant you made (quantized or pruned) to a file of your choice, with a report of how
          it compares and the command that makes it again. Make one in <strong>Optimize</strong> first.
        </p>
        <button type="button" className="primary" onClick={onGoToOptimize}>
          Go to Optimize
        </button>
      </section>
    );
  }

  const destinationCheck = resolveDestination(destination, model.path);
  const reportDirCheck = resolveDestination(reportDir, model.path, 'folder');

  const run = async (confirm: { overwrite: boolean; replaceOriginal: boolean }) => {
    if (!destinationCheck.ok) {
      setSave({ kind: 'failed', error: { code: 'BAD_REQUEST', message: destinationCheck.message } });
      return;
    }
    const target = destinationCheck.path;
    // Checked here as well as by the backend: the original is never replaced without the user saying so.
    if (!confirm.replaceOriginal && samePath(target, model.path)) {
      setSave({ kind: 'confirm', reason: 'original', path: target });
      return;
    }
    setSave({ kind: 'saving' });
    const outcome = await actions.exportVariant(chosen.id, target, confirm);
    if (!outcome.ok) setSave({ kind: 'failed', error: outcome.error });
    else if (outcome.value.written)
      setSave({
        kind: 'saved',
        path: outcome.value.path,
        bytes: outcome.value.bytes,
        ...(outcome.value.dataFile ? { dataFile: outcome.value.dataFile } : {}),
      });
    else
      setSave({
        kind: 'confirm',
        reason: outcome.value.reason,
        path: outcome.value.path,
        ...(outcome.value.replaces ? { replaces: outcome.value.replaces } : {}),
      });
  };

  // The command writes where Save writes: the user's destination, not the name suggested beside the original.
  const cli =
    chosen.cliCommand && destinationCheck.ok
      ? commandWritingTo(chosen.cliCommand, destinationCheck.path)
      : chosen.cliCommand;
  const externalData = keepsExternalData(chosen, model.externalDataBytes)
    ? { bytes: chosen.bytes ?? 0 }
    : undefined;

  const copy = async () => {
    if (!cli) return;
    try {
      await navigator.clipboard.writeText(cli);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      // No clipboard permission (e.g. an http page on another host): select the text so Ctrl+C works.
      const pre = document.getElementById(`${id}-cli`);
      if (pre) window.getSelection()?.selectAllChildren(pre);
    }
  };

  const download = async () => {
    setReport({ kind: 'working' });
    const result = await host.buildReport(model.path);
    if (!result.ok) {
      setReport({ kind: 'failed', error: result.error });
      return;
    }
    const stem = safeFileName(`${baseName(model.path).replace(/\.onnx$/i, '')}-report`);
    downloadText(result.value.html, `${stem}.html`, 'text/html');
    downloadText(`${JSON.stringify(result.value.json, null, 2)}\n`, `${stem}.json`, 'application/json');
    setReport({ kind: 'downloaded' });
  };

  const saveReport = async (overwrite: boolean) => {
    if (!reportDirCheck.ok) {
      setReport({ kind: 'failed', error: { code: 'BAD_REQUEST', message: reportDirCheck.message } });
      return;
    }
    const dir = reportDirCheck.path;
    setReport({ kind: 'working' });
    const result = await host.saveReport({
      modelPath: model.path,
      outputDir: dir,
      ...(overwrite ? { overwrite: true } : {}),
    });
    setReport(result.ok ? { kind: 'saved', ...result.value } : { kind: 'failed', error: result.error });
  };

  return (
    <div className="export">
      <section aria-labelledby={`${id}-pick`}>
        <h2 id={`${id}-pick`}>Variant</h2>
        <VariantPicker
          variants={made}
          all={variants}
          chosenId={chosen.id}
          best={preselected?.why === 'best' ? preselected.best : undefined}
          onChoose={setChosenId}
        />
        {preselected && chosen.id === preselected.id && (
          <p className="field-hint" data-testid="export-preselected">
            {describePreselection(preselected, chosen.label)}
          </p>
        )}
        <VariantActions
          variant={chosen}
          variants={variants}
          jobsRunning={state.jobs.some(isActive)}
          onRename={actions.renameVariant}
          onRemove={actions.removeVariant}
          onMakeFrom={onMakeFrom}
        />
        {/* From the workspace, so the quantizer's or pruner's notes survive a reload and show in every tab. */}
        <VariantNotes report={state.workspace?.variants.find((v) => v.id === chosen.id)?.report} />
      </section>

      <section aria-labelledby={`${id}-save`}>
        <h2 id={`${id}-save`}>Save the model</h2>
        <PathField
          label="Save as"
          value={destination}
          onChange={(v) => {
            setDestination(v);
            if (save.kind !== 'saving') setSave({ kind: 'idle' });
          }}
          picker={{ mode: 'save', extensions: ['onnx'] }}
          hint={saveHint(destinationCheck.ok ? destinationCheck.path : undefined, externalData)}
          // An empty field is only an error once Save is pressed; a `~` is one at once.
          error={!destinationCheck.ok && destination.trim() !== '' ? destinationCheck.message : undefined}
          testId="export-destination"
        />
        {destinationCheck.ok && destinationCheck.relative && (
          <p className="field-hint" data-testid="export-resolved">
            Saves to <code>{destinationCheck.path}</code>
          </p>
        )}
        <button
          type="button"
          className="primary"
          onClick={() => void run({ overwrite: false, replaceOriginal: false })}
          disabled={save.kind === 'saving'}
        >
          {save.kind === 'saving' ? 'Saving…' : 'Save variant'}
        </button>
        {save.kind === 'saved' && (
          <p className="success" role="status" data-testid="export-saved">
            {/* A model with external data is two files: the one beside it must go wherever it goes. */}
            {save.dataFile ? (
              <>
                Saved {baseName(save.path)} to {save.path}, with its weights in{' '}
                <code>{baseName(save.dataFile)}</code> beside it ({formatBytes(save.bytes)} in all): keep the
                two files together.
              </>
            ) : (
              <>
                Saved {baseName(save.path)} ({formatBytes(save.bytes)}) to {save.path}.
              </>
            )}
          </p>
        )}
        {save.kind === 'failed' && (
          <ErrorPanel
            title="The variant was not saved"
            error={save.error}
            whatToDo={{
              BAD_REQUEST: `Check the destination path and try again. ${FULL_PATH_EXAMPLE}.`,
              IO: EXPORT_WHAT_TO_DO.IO,
            }}
          />
        )}
        {save.kind === 'confirm' && (
          <ConfirmDialog
            title={save.reason === 'original' ? 'Replace the original model?' : 'Replace the existing file?'}
            message={
              save.reason === 'original'
                ? `${save.path} is the model you opened. Replacing it with the ${chosen.label} variant cannot be undone, and the comparison loses its baseline.`
                : replaceQuestion(save.path, save.replaces)
            }
            confirmLabel={save.reason === 'original' ? 'Replace the original' : 'Replace'}
            onConfirm={() =>
              void run(
                save.reason === 'original'
                  ? { overwrite: true, replaceOriginal: true }
                  : { overwrite: true, replaceOriginal: false },
              )
            }
            onCancel={() => setSave({ kind: 'idle' })}
          />
        )}
      </section>

      <section aria-labelledby={`${id}-cli-title`}>
        <h2 id={`${id}-cli-title`}>Make it again from the command line</h2>
        {cli ? (
          <>
            <pre id={`${id}-cli`} className="cli" data-testid="cli-command">
              {cli}
            </pre>
            <button type="button" onClick={() => void copy()}>
              {copied ? 'Copied' : 'Copy command'}
            </button>
          </>
        ) : (
          <p className="muted">This variant’s recipe is not recorded, so no command can be shown.</p>
        )}
      </section>

      <section aria-labelledby={`${id}-report`}>
        <h2 id={`${id}-report`}>Report</h2>
        <p className="muted">
          Every variant with its size, latency and accuracy, the charts, and how each was made: an HTML page
          and the same figures as JSON.
        </p>
        <div className="button-row">
          <button type="button" onClick={() => void download()} disabled={report.kind === 'working'}>
            Download report (HTML + JSON)
          </button>
        </div>
        <PathField
          label="Or write it into a folder"
          value={reportDir}
          onChange={setReportDir}
          picker={{ mode: 'folder' }}
          hint="report.html and report.json are written there (the folder is created if needed; a relative path is taken from the model's folder)."
          error={!reportDirCheck.ok && reportDir.trim() !== '' ? reportDirCheck.message : undefined}
        />
        {reportDirCheck.ok && reportDirCheck.relative && (
          <p className="field-hint" data-testid="report-resolved">
            Writes into <code>{reportDirCheck.path}</code>
          </p>
        )}
        <button type="button" onClick={() => void saveReport(false)} disabled={report.kind === 'working'}>
          Write report files
        </button>
        {report.kind === 'downloaded' && (
          <p className="success" role="status">
            The report was downloaded.
          </p>
        )}
        {report.kind === 'saved' && (
          <p className="success" role="status" data-testid="report-saved">
            Wrote {report.htmlPath} and {report.jsonPath}.
          </p>
        )}
        {report.kind === 'failed' && <ErrorPanel title="The report was not written" error={report.error} />}
      </section>
    </div>
  );
}

function samePath(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+/g, '/');
  return norm(a) === norm(b);
}

/** How many hex digits of a sha256 are shown: enough to tell files apart at a glance; the tooltip has all 64. */
const SHORT_HASH = 12;

/** ` · sha256 3f2a9c01b4de` beside a variant's size, the whole hash in its tooltip, to check a copied file by. */
function FileHash({ sha256 }: { sha256: string }) {
  return (
    <span title={`sha256 of the variant's file in the workspace: ${sha256}`} data-testid="variant-sha256">
      {' '}
      · sha256 <code>{sha256.slice(0, SHORT_HASH)}</code>
    </span>
  );
}

/**
 * A variant's speed in the Export list, led by its ratio to the original of its own interleaved run, as Compare
 * leads: "p50 ×0.36 of the original in its run (this variant 1.07 ms)". Raw p50s of different runs side by side
 * read as speeds of one scale, and two of one file (`int8-static p50 1.07 ms`, a same-file tuned variant `p50
 * 0.603 ms`) as two speeds; the ms is secondary, and says whose it is: "(1.07 ms there)" read as the original's,
 * the ms Compare prints after "of". Without a ratio, the bare p50.
 */
export function exportLatencyFigure(row: CompareRow | undefined): string {
  if (row?.p50Ms === undefined) return 'p50 –';
  if (row.isOriginal || row.latencyRatio === undefined) return `p50 ${formatMs(row.p50Ms)}`;
  const noise = latencyNoiseNote(row);
  return `p50 ${formatRatio(row.latencyRatio)} of the original in its run${noise ? `, ${noise}` : ''} (this variant ${formatMs(row.p50Ms)})`;
}

function VariantPicker({
  variants,
  all,
  chosenId,
  best,
  onChoose,
}: {
  variants: Variant[];
  all: Variant[];
  chosenId: string;
  /** The best variant (shared/best-variant.ts), tagged in the list with what it is best at. */
  best: BestVariant | undefined;
  onChoose: (id: string) => void;
}) {
  const source = measurementSources(all)[0];
  const metric = pickQualityMetric(all);
  // Each variant's ratio in its own interleaved run beside its p50: p50s of different runs are not comparable.
  const rows = compareRows(all, source, metric);
  return (
    <div role="radiogroup" aria-label="Variant to export" className="variant-list">
      {variants.map((v) => {
        const row = rows.find((r) => r.id === v.id);
        return (
          <label key={v.id} className={v.id === chosenId ? 'variant-option chosen' : 'variant-option'}>
            <input
              type="radio"
              name="export-variant"
              value={v.id}
              checked={v.id === chosenId}
              onChange={() => onChoose(v.id)}
            />
            <span className="variant-name">
              {v.label}
              {best && v.id === best.row.target && (
                <span
                  className="tag"
                  data-testid="best-tag"
                  title="The variant the report calls best: within the quality budget, the fastest beyond the run's noise (or, none being faster, the smallest); the sentence under the list says why"
                >
                  {bestBadge(best)}
                </span>
              )}
            </span>
            <span className="muted" data-testid="variant-figures">
              {v.bytes !== undefined ? formatBytes(v.bytes) : '–'}
              {v.sha256 !== undefined && <FileHash sha256={v.sha256} />} · {exportLatencyFigure(row)}
              {row?.sameFileAs !== undefined ? ` (same file as ${row.sameFileAs})` : ''} ·{' '}
              {describeQuality(v, metric)}
            </span>
          </label>
        );
      })}
    </div>
  );
}
