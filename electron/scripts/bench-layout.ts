/**
 * `npm run bench:layout`: the Graph view's layered layout (renderer/src/graph/layered-layout.ts) on graphs of
 * the sizes users open, built in code (layout-graphs.ts):
 *
 *   npx tsx electron/scripts/bench-layout.ts [--runs N] [--warmup N] [--only NAME,...]
 *
 * It runs through tsx rather than the Node build: it imports the renderer's layout, which the Node build
 * (tsconfig.build.json) leaves out, so no renderer code is compiled into out/.
 *
 * Per graph, after --warmup untimed runs (default 2), --runs timed runs (default 10) of each, alternating:
 *   - layoutBody: the layout alone, on the boxes and edges the view gives it (dagre up to DAGRE_MAX_NODES
 *     boxes, the fast layered layout above);
 *   - buildScene: what the layout worker runs for the view (layout.worker.ts), nothing expanded: the boxes
 *     sized from their labels, the edges from tensor names, then layoutBody.
 * Times are CPU milliseconds of this process (user + system, all threads: the collector's included), best
 * and median; the median wall time of layoutBody is printed beside them. Width and height are the laid-out
 * graph's, in layout units (a box is 30 high and at least 72 wide). The layout does not report how many lanes
 * its skip edges took (BodyLayout has boxes, edges and the size only), so no column says it.
 */
import os from 'node:os';
import { formatTable } from '../cli/format.js';
import { buildScene, type SceneBody } from '../../renderer/src/graph/graph-scene.js';
import {
  DAGRE_MAX_NODES,
  dagreLayered,
  layoutBody,
  type BodyLayout,
  type LayoutBox,
} from '../../renderer/src/graph/layered-layout.js';
import { branchy, deepChain, residualChain, smallCnn, transformer } from './layout-graphs.js';

const GRAPHS: { name: string; what: string; build: () => SceneBody }[] = [
  { name: 'small', what: '200-op ResNet-like conv net', build: () => smallCnn() },
  { name: 'chain', what: '1,600-op deep chain', build: () => deepChain(1600) },
  { name: 'residual', what: '1,250 residual blocks of 4 ops', build: () => residualChain(1250) },
  { name: 'transformer', what: '185 encoder blocks of 27 ops', build: () => transformer(185) },
  { name: 'branchy', what: 'buildBranchyGraph({ blocks: 500 })', build: () => branchy(500) },
];

const USAGE = [
  'Usage: npm run bench:layout -- [--runs N] [--warmup N] [--only NAME,...]',
  '  --runs N      timed runs of each graph (default 10)',
  '  --warmup N    untimed runs first (default 2)',
  `  --only NAMES  graphs to lay out, comma-separated: ${GRAPHS.map((g) => g.name).join(', ')}`,
].join('\n');

/** Thrown for a command line bench-layout cannot read: said with the usage, exit 2, no stack trace. */
class UsageError extends Error {}

function parseArgs(argv: string[]) {
  let runs = 10;
  let warmup = 2;
  let only: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const count = (least: number) => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < least)
        throw new UsageError(`${arg} takes a whole number of at least ${least}.`);
      return v;
    };
    if (arg === '--runs') runs = count(1);
    else if (arg === '--warmup') warmup = count(0);
    else if (arg === '--only') only = (argv[++i] ?? '').split(',');
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new UsageError(`Unknown argument ${arg}.`);
  }
  const unknown = only?.filter((name) => !GRAPHS.some((g) => g.name === name)) ?? [];
  if (unknown.length > 0)
    throw new UsageError(
      `No graph named ${unknown.join(', ')}; have ${GRAPHS.map((g) => g.name).join(', ')}.`,
    );
  return { runs, warmup, only };
}

/** CPU and wall milliseconds of one call. */
function timed<T>(run: () => T): { result: T; cpu: number; wall: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = run();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { result, cpu: (cpu.user + cpu.system) / 1000, wall };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Which layout layoutBody uses for these boxes: dagre where it may and does not throw, else the fast one. */
function whichLayout(boxes: LayoutBox[], edges: [string, string][]): string {
  if (boxes.length > DAGRE_MAX_NODES) return 'fast';
  try {
    dagreLayered(boxes, edges);
    return 'dagre';
  } catch {
    return 'fast (dagre threw)';
  }
}

const ms = (v: number) => v.toFixed(1);
const count = (v: number) => v.toLocaleString('en-US');

function main(): void {
  const { runs, warmup, only } = parseArgs(process.argv.slice(2));
  const cpus = os.cpus();
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log("Graph view layout benchmark: layoutBody and the layout worker's buildScene");
  console.log(
    `Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} logical cores, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${os.platform()} ${os.release()}`,
  );
  console.log(`Node ${process.version}; load average ${load()} at the start`);
  console.log(
    `CPU ms (user + system) of ${runs} runs after ${warmup} warm-up runs; wall ms median of layoutBody.\n`,
  );

  const rows: (string | number)[][] = [];
  for (const graph of GRAPHS.filter((g) => !only || only.includes(g.name))) {
    const body = graph.build();
    // The boxes and edges buildScene hands layoutBody (nothing expanded, so every scene node is one box).
    const scene = buildScene(body, new Set());
    const boxes: LayoutBox[] = scene.nodes.map((n) => ({ id: n.id, width: n.width, height: n.height }));
    const edges: [string, string][] = scene.edges.map((e) => [e.from, e.to]);
    for (let i = 0; i < warmup; i++) {
      layoutBody(boxes, edges);
      buildScene(body, new Set());
    }
    const layoutCpu: number[] = [];
    const layoutWall: number[] = [];
    const sceneCpu: number[] = [];
    let layout: BodyLayout | undefined;
    for (let i = 0; i < runs; i++) {
      const l = timed(() => layoutBody(boxes, edges));
      layout = l.result;
      layoutCpu.push(l.cpu);
      layoutWall.push(l.wall);
      sceneCpu.push(timed(() => buildScene(body, new Set())).cpu);
    }
    rows.push([
      `${graph.name} (${graph.what})`,
      count(body.nodes.length),
      count(boxes.length),
      count(edges.length),
      whichLayout(boxes, edges),
      ms(Math.min(...layoutCpu)),
      ms(median(layoutCpu)),
      ms(median(layoutWall)),
      ms(Math.min(...sceneCpu)),
      ms(median(sceneCpu)),
      count(Math.round(layout!.width)),
      count(Math.round(layout!.height)),
    ]);
  }
  console.log(
    formatTable(
      [
        'graph',
        'nodes',
        'boxes',
        'edges',
        'layout',
        'layoutBody best',
        'median',
        'wall median',
        'buildScene best',
        'median',
        'width',
        'height',
      ],
      rows,
      { measurements: true },
    ),
  );
  console.log(
    `\nnodes: ops of the main graph; boxes: those and the graph's input and output boxes. layout: dagre up to ${DAGRE_MAX_NODES} boxes, ` +
      'the fast layered layout above or where dagre throws. Times in CPU ms unless ' +
      'wall; width and height in layout units. Load average at the end: ' +
      `${load()}.`,
  );
}

try {
  main();
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`bench-layout: ${error.message}\n${USAGE}`);
  process.exitCode = 2;
}
