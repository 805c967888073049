import fs from 'node:fs';
import path from 'node:path';
import type { JobSpec } from '../../../shared/ipc-contract.js';
import { bestVariant, describeBest, describeNoBest, measureOf } from '../../../shared/best-variant.js';
import type { PruneReportInfo, QuantizeReportInfo } from '../../../shared/job-reports.js';
import type { BenchJobResult, EvaluateJobResult, VariantJobResult } from '../../../shared/job-results.js';
import type { ModelSummary } from '../../../shared/model-summary.js';
import { datasetCaption, inputsCaption, type StudioReport } from '../../../shared/report.js';
import { StudioError } from '../../engine/errors.js';
import { sampleModel } from '../../engine/jobs/sample-model.js';
import { StudioBackend } from '../../engine/jobs/studio-backend.js';
import { CLI_OUT_FOLDER, outputExists } from '../../engine/onnx/output-exists.js';
import { makeOutputFolder, refuseFileAsFolder } from '../../engine/onnx/output-folder.js';
import { saveReport } from '../../engine/report/report-files.js';
import type { CliCommand, CliContext } from '../cli-context.js';
import { writeJson } from '../cli-context.js';
import { formatBytes, formatTable } from '../format.js';
import { cliVersion } from '../version.js';
import { demoRecipes } from './demo-recipes.js';

const DEFAULT_OUT = 'onnx-studio-demo';

function positiveInt(flag: string, raw: string | boolean | string[] | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new StudioError(
      'BAD_REQUEST',
      `--${flag} must be a whole number of at least 1, got '${String(raw)}'.`,
    );
  }
  return Number(raw);
}

export const demoCommand: CliCommand = {
  usage: 'onnx-studio demo [--out DIR] [--iterations N] [--force] [--json]',
  help: [
    `  --out DIR        where to write report.html, report.json and the workspace (default ./${DEFAULT_OUT})`,
    '  --iterations N   timed runs per model in the benchmark, interleaved (default 500)',
    '  --force          replace a report already in DIR',
    '  --json           print {out, html, json, best, rows} as one JSON object',
  ].join('\n'),
  options: {
    out: { type: 'string' },
    iterations: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(ctx) {
    if (ctx.positionals.length > 0)
      throw new StudioError(
        'BAD_REQUEST',
        `demo takes no arguments, got: ${ctx.positionals.join(' ')}. Use --out DIR.`,
      );
    const sample = sampleModel();
    if (!sample)
      throw new StudioError(
        'INTERNAL',
        'The bundled sample model is missing from this installation. Reinstall ONNX Studio.',
      );
    const out = path.resolve(typeof ctx.values.out === 'string' ? ctx.values.out : DEFAULT_OUT);
    const existed = refuseFileAsFolder(out, '--out');
    const iterations = positiveInt('iterations', ctx.values.iterations, 500);
    const force = ctx.values.force === true;
    const reportExists = (file: string) => outputExists(file, CLI_OUT_FOLDER);
    for (const file of ['report.html', 'report.json']) {
      if (fs.existsSync(path.join(out, file)) && !force) throw reportExists(path.join(out, file));
    }
    const dataDir = path.join(out, 'workspace');
    // The folder first: a demo that cannot claim it must not have removed the workspace inside it.
    await makeOutputFolder(out, '--out', { existed, force });
    if (force) fs.rmSync(dataDir, { recursive: true, force: true });

    const version = cliVersion();
    const backend = new StudioBackend({
      dataDir,
      host: 'serve',
      version,
      capabilities: { nativeDialogs: false, fileBrowser: false, upload: false },
    });
    const started = performance.now();
    const step = (text: string) =>
      ctx.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}\n`);
    const onAbort = () => void backend.jobs.cancelAll();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const model = sample.modelPath;
      const runJob = <T>(spec: JobSpec, what: string): Promise<T> => backend.runner.run<T>(spec, what);

      // Reading the sample's workspace seeds its experiment: its input spec and its datasets by role, so the
      // benchmark feeds the sample's shapes and the figures name the data they were measured on.
      const seeded = await backend.dispatch('studio:workspace.get', { modelPath: model });
      if (!seeded.ok) throw new StudioError(seeded.error.code, seeded.error.message);
      step(`inspect ${model}`);
      const summary = await runJob<ModelSummary>({ kind: 'inspect', modelPath: model }, 'inspect');
      step(
        `  ${summary.nodes} nodes, ${summary.parameters.toLocaleString('en-US')} parameters, ${formatBytes(summary.fileBytes)}`,
      );

      const { run: recipes, skipped } = demoRecipes(model, summary, sample);
      step(`recipes for this model (${recipes.map((r) => r.name).join(', ')}):`);
      for (const r of recipes) step(`  ${r.name}: ${r.why}`);
      for (const r of skipped) step(`  not ${r.name}: ${r.why}`);

      const variants: VariantJobResult<QuantizeReportInfo | PruneReportInfo>[] = [];
      for (const recipe of recipes) {
        step(`${recipe.spec.kind} ${recipe.name}`);
        const made = await runJob<VariantJobResult<QuantizeReportInfo | PruneReportInfo>>(
          recipe.spec,
          `${recipe.spec.kind} ${recipe.name}`,
        );
        variants.push(made);
        step(`  ${formatBytes(made.report.inputBytes)} -> ${formatBytes(made.report.outputBytes)}`);
      }

      const targets = ['original', ...variants.map((v) => v.variant.id)];
      step(`bench ${targets.length} models interleaved, ${iterations} runs each`);
      const bench = await runJob<BenchJobResult>(
        { kind: 'bench', modelPath: model, targets, iterations },
        'bench',
      );
      const names = ['original', ...variants.map((v) => v.variant.name)];
      bench.report.results.forEach((r, i) =>
        step(`  ${names[i]}: p50 ${r.p50Ms.toFixed(4)} ms, p99 ${r.p99Ms.toFixed(4)} ms`),
      );

      for (const target of targets) {
        step(
          `eval ${target === 'original' ? 'original' : variants.find((v) => v.variant.id === target)!.variant.name} on ${sample.inputsPath}`,
        );
        const evaluation = await runJob<EvaluateJobResult>(
          {
            kind: 'evaluate',
            modelPath: model,
            target,
            data: sample.data,
            ...(target === 'original' ? {} : { reference: 'original' }),
          },
          `eval ${target}`,
        );
        const f = evaluation.report.fidelity;
        step(
          `  accuracy ${((evaluation.report.accuracy ?? 0) * 100).toFixed(2)}%${f ? `, top-1 agreement ${((f.top1Agreement ?? 0) * 100).toFixed(2)}%, cosine ${f.cosine.toFixed(5)}` : ''}`,
        );
      }

      step(`report -> ${out}`);
      // A report that appeared in --out since the check above is replaced only with --force, as any output.
      const saved = await saveReport(await backend.store.get(model), version, out, force, reportExists);
      const report = JSON.parse(fs.readFileSync(saved.jsonPath, 'utf8')) as StudioReport;
      printResult(ctx, out, saved, report);
      return 0;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      await backend.dispose();
    }
  },
};

/**
 * The summary: the variant to keep first (with its ratios), then every variant from the fastest, and the original
 * last as the baseline the ratios are against.
 */
function printResult(
  ctx: CliContext,
  out: string,
  files: { htmlPath: string; jsonPath: string },
  report: StudioReport,
): void {
  const best = bestVariant(report.rows);
  const ordered = [
    ...(best ? [best.row] : []),
    ...report.rows
      .filter((r) => r.target !== 'original' && r !== best?.row)
      .sort((a, b) => (a.latency?.p50Ratio ?? Infinity) - (b.latency?.p50Ratio ?? Infinity)),
    ...report.rows.filter((r) => r.target === 'original'),
  ];
  const headline = best ? `Best: ${describeBest(best)}.` : `${describeNoBest(measureOf(report.rows))}.`;
  if (ctx.json) {
    writeJson(ctx, {
      out,
      html: files.htmlPath,
      json: files.jsonPath,
      best: best
        ? {
            target: best.row.target,
            name: best.row.name,
            p50Ratio: best.p50Ratio,
            sizeRatio: best.row.sizeRatio,
            dropPoints: best.dropPoints,
            measure: best.measure,
            ...(best.cosine !== undefined ? { cosine: best.cosine } : {}),
            engine: best.engine,
          }
        : null,
      rows: ordered,
    });
    return;
  }
  const rows = ordered.map((r) => [
    r.target === 'original' ? 'original (baseline)' : r === best?.row ? `${r.name} (best)` : r.name,
    formatBytes(r.fileBytes),
    r.target === 'original' ? '' : `${r.sizeRatio.toFixed(2)}x`,
    r.latency ? r.latency.p50Ms.toFixed(3) : '-',
    r.latency?.p50Ratio !== undefined && r.target !== 'original' ? `${r.latency.p50Ratio.toFixed(2)}x` : '',
    r.accuracy !== undefined ? `${(r.accuracy * 100).toFixed(2)}%` : '-',
    r.accuracyDelta !== undefined && r.target !== 'original'
      ? `${(r.accuracyDelta * 100).toFixed(2)} pts`
      : '',
  ]);
  ctx.stdout.write(
    [
      headline,
      '',
      formatTable(['Model', 'Size', 'Size ratio', 'p50 ms', 'p50 ratio', 'Accuracy', 'Δ accuracy'], rows),
      '',
      'Measured on this machine, every model in one interleaved benchmark:',
      ...inputsCaption(report.rows),
      ...datasetCaption(report.rows),
      '',
      `Report: ${files.htmlPath}`,
      `JSON:   ${files.jsonPath}`,
      `Variants and results: ${path.join(out, 'workspace')}`,
      '',
    ].join('\n'),
  );
}
