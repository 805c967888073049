/**
 * `npm run bench:tune`: `onnx-studio tune` on the cases the auto-optimize issue names, each a whole process,
 * with its figures beside their targets (exit 1 if one is missed). Latency is the objective, so the figures are
 * this machine's.
 *
 *   digits     the bundled sample with a 0.5-point accuracy budget: loses at most 0.5 points, faster than fp32,
 *              tuned in under 2 minutes
 *   detector   the MobileNetV3-style detector (hard-swish, FPN upsampling) with FPN outlier channels 20x the
 *              others, as trained FPNs have them (detector-fixture.ts fpnOutlierScale), and --min-cosine 0.99:
 *              plain int8-static breaks 0.99; tune meets it with p50 below 0.9x of fp32
 *   encoder    a 4-layer transformer encoder with --min-cosine 0.99: tune picks int8-dynamic or int8-static
 *
 * Options: `--only digits,encoder`, `--keep` (leave the temporary folder).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeNpyArray } from '../engine/datasets/npy-format.js';
import { modelBytes, randomFloats } from '../engine/testing/model-fixtures.js';

/** How much larger the detector's FPN outlier channels are (plain int8 cosine: ~0.99 at 10, ~0.97 at 30). */
const DETECTOR_OUTLIER_SCALE = 20;
import { buildTextDetector, detectorSamples } from '../engine/testing/detector-fixture.js';
import { buildTransformerEncoder } from '../engine/testing/transformer-fixtures.js';
import { trialNumbered, type TuneOutcome } from '../../shared/tune.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1]!.split(',') : undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-bench-tune-'));

interface Case {
  name: string;
  args: () => string[];
  checks: (o: TuneOutcome, seconds: number) => { figure: string; value: string; met: boolean }[];
}

function tune(args: string[]): { outcome: TuneOutcome; seconds: number } {
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    [path.join(root, 'bin', 'onnx-studio.js'), 'tune', ...args, '--json', '--force'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 2 ** 20,
    },
  );
  if (run.status !== 0 && run.status !== 3) throw new Error(`onnx-studio tune exited ${run.status}`);
  return { outcome: JSON.parse(run.stdout) as TuneOutcome, seconds: (performance.now() - started) / 1000 };
}

const chosenOf = (o: TuneOutcome) => trialNumbered(o, o.chosen);
const sample = path.join(root, 'electron', 'sample', 'digits-resnet');

const cases: Case[] = [
  {
    name: 'digits',
    args: () => [
      path.join(sample, 'digits-resnet.onnx'),
      '-o',
      path.join(dir, 'digits-tuned.onnx'),
      '--data',
      path.join(sample, 'test-inputs.npy'),
      '--labels',
      path.join(sample, 'test-labels.npy'),
      '--calib-data',
      path.join(sample, 'calib-inputs.npy'),
      '--max-accuracy-drop',
      '0.5',
      '--iterations',
      '500',
    ],
    checks: (o, seconds) => {
      const c = chosenOf(o);
      return [
        {
          figure: 'accuracy lost (<= 0.5 pts)',
          value: c ? `${c.dropPoints!.toFixed(2)} pts` : 'none chosen',
          met: !!c && c.dropPoints! <= 0.5,
        },
        {
          figure: 'p50 / fp32 (< 1)',
          value: c?.p50Ratio !== undefined ? `${c.p50Ratio.toFixed(3)}x` : '-',
          met: !!c && c.p50Ratio! < 1,
        },
        { figure: 'tuning time (< 120 s)', value: `${seconds.toFixed(1)} s`, met: seconds < 120 },
      ];
    },
  },
  {
    name: 'detector',
    args: () => {
      // The MobileNetV3-style text detector (electron/engine/testing/detector-fixture.ts) at 320x320, on
      // text-like images; calibration and evaluation images differ.
      const size = 320;
      const model = path.join(dir, 'detector.onnx');
      fs.writeFileSync(
        model,
        modelBytes(buildTextDetector({ height: size, width: size, fpnOutlierScale: DETECTOR_OUTLIER_SCALE })),
      );
      const data = (name: string, seed: number) => {
        const samples = detectorSamples(16, size, size, seed);
        const flat = new Float32Array(samples.length * samples[0]!.length);
        samples.forEach((sample, i) => flat.set(sample, i * sample.length));
        const file = path.join(dir, name);
        fs.writeFileSync(file, encodeNpyArray(flat, 'float32', [samples.length, 1, 3, size, size]));
        return file;
      };
      return [
        model,
        '-o',
        path.join(dir, 'detector-tuned.onnx'),
        '--data',
        data('det-data.npy', 21),
        '--calib-data',
        data('det-calib.npy', 22),
        '--min-cosine',
        '0.99',
        '--iterations',
        '60',
      ];
    },
    checks: (o) => {
      const c = chosenOf(o);
      const plain = o.trials.filter(
        (t) => t.recipe.method === 'int8-static' && !t.fallback && !t.recipe.options?.equalize,
      );
      return [
        {
          figure: 'plain int8-static breaks cosine 0.99',
          value: plain.map((t) => t.cosine?.toFixed(4)).join(', '),
          met: plain.length > 0 && plain.every((t) => !t.meetsBudget),
        },
        {
          figure: 'chosen cosine (>= 0.99)',
          value: c?.cosine?.toFixed(5) ?? 'none',
          met: !!c && c.cosine! >= 0.99,
        },
        {
          figure: 'chosen p50 / fp32 (< 0.9)',
          value: c?.p50Ratio !== undefined ? `${c.p50Ratio.toFixed(3)}x (${c.name})` : '-',
          met: !!c && c.p50Ratio! < 0.9,
        },
      ];
    },
  },
  {
    name: 'encoder',
    args: () => {
      const model = path.join(dir, 'encoder.onnx');
      fs.writeFileSync(model, modelBytes(buildTransformerEncoder({ batch: 1, seq: 64 })));
      const data = (name: string, seed: number) => {
        const file = path.join(dir, name);
        fs.writeFileSync(
          file,
          encodeNpyArray(randomFloats(32 * 64 * 384, seed, 1), 'float32', [32, 1, 64, 384]),
        );
        return file;
      };
      return [
        model,
        '-o',
        path.join(dir, 'encoder-tuned.onnx'),
        '--data',
        data('enc-data.npy', 5),
        '--calib-data',
        data('enc-calib.npy', 6),
        '--min-cosine',
        '0.99',
        '--iterations',
        '100',
      ];
    },
    checks: (o) => {
      const c = chosenOf(o);
      return [
        {
          figure: 'chosen method (int8-dynamic or int8-static)',
          value: c?.name ?? 'none',
          met: !!c && /^int8-(dynamic|static)/.test(c.name),
        },
        { figure: 'cosine (>= 0.99)', value: c?.cosine?.toFixed(5) ?? '-', met: !!c && c.cosine! >= 0.99 },
        {
          figure: 'p50 / fp32',
          value: c?.p50Ratio !== undefined ? `${c.p50Ratio.toFixed(3)}x` : '-',
          met: !!c && c.p50Ratio! < 1,
        },
      ];
    },
  },
];

let failed = false;
try {
  for (const c of cases) {
    if (only && !only.includes(c.name)) continue;
    process.stderr.write(`\n== ${c.name}\n`);
    const { outcome, seconds } = tune(c.args());
    console.log(
      `\n${c.name}: ${outcome.trials.length} trials in ${seconds.toFixed(1)} s, stopped: ${outcome.stoppedBy}`,
    );
    for (const t of outcome.trials) {
      console.log(
        `  ${t.index === outcome.chosen ? '*' : ' '} ${t.name.padEnd(56)} size ${t.sizeRatio?.toFixed(3) ?? '-'}x  p50 ${t.p50Ratio?.toFixed(3) ?? '-'}x  ` +
          `${t.dropPoints !== undefined ? `Δ ${(-t.dropPoints).toFixed(2)} pts  ` : ''}cos ${t.cosine?.toFixed(5) ?? '-'}  ${t.meetsBudget ? 'met' : 'broken'}`,
      );
    }
    for (const check of c.checks(outcome, seconds)) {
      console.log(`  ${check.figure.padEnd(44)} ${check.value.padStart(14)}  ${check.met ? 'yes' : 'NO'}`);
      failed ||= !check.met;
    }
  }
} finally {
  if (!argv.includes('--keep')) fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`\n${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), Node ${process.version}`);
process.exitCode = failed ? 1 : 0;
