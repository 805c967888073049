/**
 * The Graph view: the model's (or a variant's) graph laid out top-down in a worker, drawn on a canvas with
 * pan, zoom, fit and search; click a node for its details; expand If/Loop/Scan bodies. Overlays colour the
 * nodes by op type, by what a variant computes them in, by what a variant changed (with the diff as a table),
 * or by kernel time from a profiled benchmark.
 */
import { type RefObject, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { StudioErrorInfo } from '../../../shared/errors.js';
import type { VariantDiff } from '../../../shared/ipc-contract.js';
import type { ModelGraph } from '../../../shared/model-graph.js';
import { ORIGINAL_TARGET, type Workspace } from '../../../shared/workspace.js';
import { DiffTable } from '../graph/diff-table.js';
import { GraphCanvas, type GraphCanvasHandle } from '../graph/graph-canvas.js';
import { indexGraph, searchGraph, type GraphIndex } from '../graph/graph-index.js';
import { sceneGraphOf, type Scene } from '../graph/graph-scene.js';
import { startLayoutWorker, type LayoutClient } from '../graph/layout-client.js';
import { NodeDetails, type WeightChanges } from '../graph/node-details.js';
import { latestProfiledRun, profiledRunLine } from '../graph/profile-run.js';
import { changedWeightsByName } from '../graph/pruned-channels.js';
import {
  bodyRowIds,
  changeOverlay,
  heatOverlay,
  sensitivityOverlay,
  opTypeOverlay,
  precisionOverlay,
  variantChangeOverlay,
  variantNodeIds,
  variantPrecisionOverlay,
  type Overlay,
  type OverlayKind,
} from '../graph/overlays.js';
import type { StudioHost } from '../host/studio-host.js';
import { formatExact } from '../format.js';
import { ErrorPanel } from './error-panel.js';

const OVERLAY_LABELS: Record<OverlayKind, string> = {
  op: 'Op type',
  precision: 'Precision in a variant',
  change: 'Change in a variant',
  heat: 'Kernel time (profile)',
  sensitivity: 'Sensitivity (Auto-optimize)',
};

/** The sensitivity table of the latest Auto-optimize run that ranked nodes, if any. */
function latestSensitivity(workspace: Workspace | null) {
  const runs = workspace?.tunes ?? [];
  for (let i = runs.length - 1; i >= 0; i--) {
    const rows = runs[i]!.outcome?.sensitivity?.rows;
    if (rows && rows.length > 0) return rows;
  }
  return undefined;
}

/** The canvas never gets smaller than this; below it the page scrolls instead. */
const MIN_STAGE_HEIGHT = 240;

/**
 * The height that takes the canvas (and the side panel) down to the status bar. A fixed `100vh - N` does not:
 * the lines above the canvas (a note, a toolbar wrapped at 800 px) push it down, and its bottom, where Fit
 * puts the graph's outputs, went under the status bar. Measured again whenever the view's size or the
 * window's changes.
 */
function useHeightToWindowBottom(stage: RefObject<HTMLElement | null>, live: boolean): number | undefined {
  const [height, setHeight] = useState<number>();
  useLayoutEffect(() => {
    const el = stage.current;
    if (!live || !el) return;
    const measure = () => {
      const top = el.getBoundingClientRect().top + window.scrollY;
      const bar = document.querySelector('[data-testid="status-bar"]')?.getBoundingClientRect().height ?? 0;
      const main = el.closest('main');
      const pad = main ? parseFloat(getComputedStyle(main).paddingBottom) || 0 : 0;
      const next = Math.max(MIN_STAGE_HEIGHT, Math.floor(window.innerHeight - top - bar - pad));
      setHeight((h) => (h === next ? h : next));
    };
    measure();
    const observer = new ResizeObserver(measure);
    // The view's own box changes when a note appears or goes, or the toolbar wraps.
    if (el.parentElement?.parentElement) observer.observe(el.parentElement.parentElement);
    window.addEventListener('resize', measure);
    return () => {
      observer.disconnect();
      window.removeEventListener('resize', measure);
    };
  }, [stage, live]);
  return height;
}

export function GraphView({
  host,
  modelPath,
  workspace,
}: {
  host: StudioHost;
  modelPath: string;
  workspace: Workspace | null;
}) {
  const variants = workspace?.variants ?? [];
  const [target, setTarget] = useState<string>(ORIGINAL_TARGET);
  const [overlayKind, setOverlayKind] = useState<OverlayKind>('op');
  const [diffVariant, setDiffVariant] = useState<string>('');
  const [graph, setGraph] = useState<ModelGraph | null>(null);
  const [error, setError] = useState<StudioErrorInfo | null>(null);
  const [scene, setScene] = useState<Scene | null>(null);
  const [layoutMs, setLayoutMs] = useState<number | null>(null);
  // False while a deep graph opens at its top (opening-view.ts): the counts line says so and how to see it all.
  const [wholeInView, setWholeInView] = useState(true);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [matchAt, setMatchAt] = useState(0);
  const [diff, setDiff] = useState<{ variantId: string; value: VariantDiff } | null>(null);
  const [diffError, setDiffError] = useState<StudioErrorInfo | null>(null);
  const canvas = useRef<GraphCanvasHandle>(null);
  const layout = useRef<LayoutClient | null>(null);
  const stage = useRef<HTMLDivElement>(null);
  const stageHeight = useHeightToWindowBottom(stage, error === null);
  const bodyStyle =
    stageHeight === undefined ? undefined : { height: stageHeight, minHeight: MIN_STAGE_HEIGHT };

  // The graph of the chosen target; its worker lives as long as the graph does.
  useEffect(() => {
    let live = true;
    setGraph(null);
    setScene(null);
    setError(null);
    setSelected(null);
    setExpanded(new Set());
    performance.mark('studio:graph-requested');
    void host.modelGraph({ modelPath, target }).then((answer) => {
      if (!live) return;
      if (!answer.ok) {
        setError(answer.error);
        return;
      }
      performance.mark('studio:graph-received');
      layout.current?.dispose();
      layout.current = startLayoutWorker(sceneGraphOf(answer.value));
      setGraph(answer.value);
    });
    return () => {
      live = false;
    };
  }, [host, modelPath, target]);
  useEffect(() => () => layout.current?.dispose(), []);

  useEffect(() => {
    const client = layout.current;
    if (!graph || !client) return;
    let live = true;
    client.layout([...expanded]).then(
      ({ scene: next, ms }) => {
        if (!live) return;
        setScene(next);
        setLayoutMs(ms);
      },
      (failure: Error) =>
        live &&
        setError({ code: 'INTERNAL', message: `The graph could not be laid out: ${failure.message}` }),
    );
    return () => {
      live = false;
    };
  }, [graph, expanded]);

  // The variant whose diff the precision and change overlays show: the one on screen; on the original's
  // graph, the one picked, else the newest.
  const onVariant = target !== ORIGINAL_TARGET;
  const diffTarget = onVariant ? target : diffVariant || variants[variants.length - 1]?.id || '';
  const needsVariant = overlayKind === 'precision' || overlayKind === 'change';
  const wantsDiff = needsVariant && diffTarget !== '';
  useEffect(() => {
    if (!wantsDiff || diff?.variantId === diffTarget) return;
    let live = true;
    setDiffError(null);
    void host.modelDiff({ modelPath, variantId: diffTarget }).then((answer) => {
      if (!live) return;
      if (answer.ok) setDiff({ variantId: diffTarget, value: answer.value });
      else setDiffError(answer.error);
    });
    return () => {
      live = false;
    };
  }, [wantsDiff, diffTarget, diff, host, modelPath]);

  // The search and details index costs 20-30 ms for 5,000 nodes: built on first use, not in the same task
  // as the first paint (which must stay under 50 ms), then kept for the graph.
  const indexCache = useRef(new WeakMap<ModelGraph, GraphIndex>());
  const needsIndex = query.trim() !== '' || selected !== null || overlayKind === 'change';
  let index: GraphIndex | null = null;
  if (graph && needsIndex) {
    index = indexCache.current.get(graph) ?? indexGraph(graph);
    indexCache.current.set(graph, index);
  }
  const profiled = latestProfiledRun(workspace, target);
  const profile = profiled?.profile;
  const sensitivity = latestSensitivity(workspace);
  const overlay: Overlay | null = useMemo(() => {
    if (!graph) return null;
    const currentDiff = diff?.variantId === diffTarget ? diff.value : null;
    // The diff's rows are the original's nodes; on a variant's graph they are matched to its nodes by name.
    if (overlayKind === 'precision' && currentDiff)
      return onVariant ? variantPrecisionOverlay(graph.graph, currentDiff) : precisionOverlay(currentDiff);
    if (overlayKind === 'change' && currentDiff)
      return onVariant
        ? variantChangeOverlay(graph.graph, currentDiff)
        : changeOverlay(currentDiff, graph.graph);
    if (overlayKind === 'heat' && profile) return heatOverlay(graph.graph, profile);
    // Rows name nodes by name, which our quantizers and pruners keep: it applies to a variant's graph too.
    if (overlayKind === 'sensitivity' && sensitivity) return sensitivityOverlay(graph.graph, sensitivity);
    return opTypeOverlay(graph.graph);
  }, [graph, overlayKind, diff, diffTarget, onVariant, profile, sensitivity]);
  // The node of the graph on screen each diff row stands for (the table's links select it).
  const currentDiff = diff?.variantId === diffTarget ? diff.value : null;
  const diffNodeIds = useMemo(() => {
    if (!currentDiff || !graph) return null;
    return onVariant
      ? variantNodeIds(graph.graph, currentDiff)
      : currentDiff.nodes.list.map((_, i) => String(i));
  }, [currentDiff, graph, onVariant]);
  const diffBodyIds = useMemo(
    () => (currentDiff ? bodyRowIds(currentDiff, onVariant ? 'variant' : 'original') : undefined),
    [currentDiff, onVariant],
  );

  // The weights the variant changed, shown beside the selected node's (a pruned Conv's shape before and after).
  const weightChanges: WeightChanges | undefined = useMemo(() => {
    if (!currentDiff || !needsVariant) return undefined;
    const side = onVariant ? 'variant' : 'original';
    return { side, byName: changedWeightsByName(currentDiff, side) };
  }, [currentDiff, needsVariant, onVariant]);

  const matches = useMemo(() => (index ? searchGraph(index, query) : []), [index, query]);
  const matchSet = useMemo(() => new Set(matches), [matches]);

  /** Expands whatever holds a node, then selects and centres it. */
  const show = useCallback(
    (id: string) => {
      const holders = index?.nodes.get(id)?.ancestors ?? [];
      if (holders.some((h) => !expanded.has(h))) setExpanded(new Set([...expanded, ...holders]));
      setSelected(id);
      // After the new layout arrives, if one was needed.
      requestAnimationFrame(() => canvas.current?.focus(id));
    },
    [index, expanded],
  );
  useEffect(() => {
    if (selected) canvas.current?.focus(selected);
    // Only when a layout changed under a selection made from search or the table (not on every click).
  }, [scene]);

  const toggle = useCallback((id: string) => {
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  const onDrawn = useCallback(() => performance.mark('studio:graph-drawn'), []);

  if (error) {
    return (
      <>
        <ErrorPanel title="Could not show the graph" error={error} />
        {target !== ORIGINAL_TARGET && (
          <button type="button" onClick={() => setTarget(ORIGINAL_TARGET)}>
            Show the original's graph
          </button>
        )}
      </>
    );
  }

  return (
    <article className="graph-view" aria-labelledby="graph-title">
      <header className="graph-toolbar">
        <h1 id="graph-title" className="visually-hidden">
          Graph
        </h1>
        <label>
          Graph of{' '}
          <select
            value={target}
            onChange={(e) => setTarget(e.target.value)}
            title={variants.find((v) => v.id === target)?.name ?? 'the original'}
            data-testid="graph-target"
          >
            <option value={ORIGINAL_TARGET}>the original</option>
            {variants.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Colour by{' '}
          <select
            value={overlayKind}
            onChange={(e) => setOverlayKind(e.target.value as OverlayKind)}
            data-testid="graph-overlay"
          >
            {(Object.keys(OVERLAY_LABELS) as OverlayKind[]).map((k) => (
              <option key={k} value={k}>
                {OVERLAY_LABELS[k]}
              </option>
            ))}
          </select>
        </label>
        {needsVariant && !onVariant && variants.length > 0 && (
          <label>
            Variant{' '}
            <select
              value={diffTarget}
              onChange={(e) => setDiffVariant(e.target.value)}
              title={variants.find((v) => v.id === diffTarget)?.name}
              data-testid="graph-diff-variant"
            >
              {variants.map((v) => (
                <option key={v.id} value={v.id}>
                  {v.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <form
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            if (matches.length === 0) return;
            const at = matchAt % matches.length;
            show(matches[at]!);
            setMatchAt(at + 1);
          }}
        >
          <input
            type="search"
            aria-label="Find a node or tensor by name or op type"
            placeholder="Find node or tensor…"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setMatchAt(0);
            }}
          />{' '}
          {query.trim() !== '' && (
            <span className="muted" role="status">
              {matches.length === 0
                ? 'no match'
                : `${matches.length}${matches.length >= 500 ? '+' : ''} found, Enter for the next`}
            </span>
          )}
        </form>
        <span className="toolbar-spacer" />
        <span className="graph-zoom" role="group" aria-label="Zoom">
          <button
            type="button"
            className="small"
            onClick={() => canvas.current?.zoomBy(1.25)}
            aria-label="Zoom in"
          >
            +
          </button>
          <button
            type="button"
            className="small"
            onClick={() => canvas.current?.zoomBy(0.8)}
            aria-label="Zoom out"
          >
            −
          </button>
          <button type="button" className="small" onClick={() => canvas.current?.fit()}>
            Fit
          </button>
        </span>
      </header>
      {graph && (
        <p className="muted graph-counts" data-testid="graph-counts">
          {/* The main graph's share only where If/Loop/Scan bodies hold more: "5 nodes", not "(5 in the main graph)". */}
          {graph.totalNodes === graph.mainNodes
            ? `${formatExact(graph.totalNodes)} nodes`
            : `${formatExact(graph.totalNodes)} nodes including subgraphs (${formatExact(graph.mainNodes)} in the main graph)`}
          {layoutMs !== null && `; laid out in ${Math.round(layoutMs)} ms`}
          {!wholeInView && '. Too tall to read whole at this size: drag to pan; Fit shows all of it.'}
        </p>
      )}
      {needsVariant && variants.length === 0 && (
        <p className="muted">Make a variant in Optimize to see what it computes in and what it changed.</p>
      )}
      {overlayKind === 'sensitivity' && !sensitivity && (
        <p className="muted" data-testid="graph-sensitivity-none">
          {/* The app's way only: `onnx-studio sensitivity` prints its table but does not feed this overlay. */}
          No sensitivity table yet. Run Auto-optimize (Optimize tab, “Start Auto-optimize”): when its
          int8-static trials need nodes back in float, it ranks the nodes by how much int8 hurts them, and
          this overlay colours them.
        </p>
      )}
      {overlayKind === 'heat' && profiled && (
        <p className="muted" data-testid="graph-heat-run">
          {profiledRunLine(profiled, new Date())}
        </p>
      )}
      {overlayKind === 'heat' && !profile && (
        <p className="muted">
          No profiled benchmark of this graph yet: benchmark it with the operator profile on.
        </p>
      )}
      {diffError && needsVariant && (
        <ErrorPanel title="Could not compare with the original" error={diffError} compact />
      )}
      <div className="graph-body">
        <div className="graph-stage" ref={stage} style={bodyStyle}>
          {scene && overlay ? (
            <GraphCanvas
              ref={canvas}
              scene={scene}
              marks={overlay.marks}
              selected={selected}
              matches={matchSet}
              onSelect={setSelected}
              onToggle={toggle}
              onDrawn={onDrawn}
              onWholeChange={setWholeInView}
            />
          ) : (
            <p className="loading" role="status">
              {graph ? 'Laying out the graph…' : 'Reading the graph…'}
            </p>
          )}
        </div>
        <aside className="graph-side" style={bodyStyle}>
          {/* Beside the canvas, not over it: over it, it hid nodes of a graph in an 800 px window. */}
          {overlay && (
            <ul className="graph-key" aria-label="Legend" data-testid="graph-legend">
              {overlay.legend.map((l) => (
                <li key={l.text}>
                  <span className="legend-swatch" style={{ background: l.color }} /> {l.text}
                </li>
              ))}
            </ul>
          )}
          {overlay?.note && (
            <p className="muted graph-key-note" data-testid="graph-legend-note">
              {overlay.note}
            </p>
          )}
          {graph && index && selected ? (
            <NodeDetails
              model={graph}
              index={index}
              id={selected}
              mark={overlay?.marks.get(selected)}
              changes={weightChanges}
            />
          ) : (
            <p className="muted">
              Click a node for its op type, attributes, inputs and outputs, and weight statistics.
            </p>
          )}
        </aside>
      </div>
      {overlayKind === 'change' && currentDiff && diffNodeIds && (
        <DiffTable
          diff={currentDiff}
          nodeIds={diffNodeIds}
          bodyIds={diffBodyIds}
          graph={graph?.graph}
          pruned={overlay?.pruned}
          onShow={show}
        />
      )}
    </article>
  );
}
