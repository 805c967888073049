/**
 * Draws a laid-out graph on a canvas: pan by dragging, zoom with the wheel (about the pointer), click a node
 * to select it, double-click (or click the +) to expand or collapse an If/Loop/Scan. Only what is in view is
 * drawn, labels only when they are legible, and the view transform lives in a ref so panning never
 * re-renders React: a 5,000-node graph redraws in a few milliseconds per frame.
 */
import { forwardRef, useCallback, useEffect, useImperativeHandle, useRef } from 'react';
import type { Scene, SceneNode } from './graph-scene.js';
import { NO_MARK, type NodeMark } from './overlays.js';
import { fitLabel, LABEL_FONT_UNITS, labelFontUnits, labelPadUnits } from './label-size.js';
import {
  LABEL_SCALE,
  MAX_SCALE,
  MIN_SCALE,
  type View,
  fitView,
  fitsReadable,
  openingView,
  resizedView,
  viewShowing,
} from './opening-view.js';

export interface GraphCanvasHandle {
  fit(): void;
  /** Centres a node and zooms to where its label is readable. */
  focus(id: string): void;
  zoomBy(factor: number): void;
}

interface Props {
  scene: Scene;
  marks: Map<string, NodeMark>;
  selected: string | null;
  /** Nodes matching the search, outlined. */
  matches: ReadonlySet<string>;
  onSelect(id: string | null): void;
  onToggle(id: string): void;
  /** Called after the first frame of a scene is drawn (the measuring script waits for it). */
  onDrawn?(): void;
  /** Whether the view shows the whole graph: false while a deep graph shows its top (see opening-view.ts). */
  onWholeChange?(whole: boolean): void;
}

function cssVar(el: Element, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

export const GraphCanvas = forwardRef<GraphCanvasHandle, Props>(function GraphCanvas(
  { scene, marks, selected, matches, onSelect, onToggle, onDrawn, onWholeChange },
  ref,
) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const view = useRef<View>({ scale: 1, tx: 0, ty: 0 });
  // Labels cut to their boxes at the font size last drawn (label-size.ts fitLabel).
  const fittedLabels = useRef<{ fontUnits: number; cut: Map<string, string> }>({ fontUnits: 0, cut: new Map() });
  const frame = useRef(0);
  const props = useRef({ scene, marks, selected, matches });
  props.current = { scene, marks, selected, matches };

  const draw = useCallback(() => {
    frame.current = 0;
    const canvas = canvasRef.current;
    if (!canvas) return;
    const dpr = window.devicePixelRatio || 1;
    const cssW = canvas.clientWidth;
    const cssH = canvas.clientHeight;
    if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(cssH * dpr);
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const { scene: s, marks: m, selected: sel, matches: found } = props.current;
    const { scale, tx, ty } = view.current;
    // For tests and tools: the zoom the picture was drawn at (whether its labels are readable).
    canvas.dataset.scale = scale.toFixed(3);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * tx, dpr * ty);
    // The visible rectangle in graph units, to skip what is off screen.
    const x0 = -tx / scale;
    const y0 = -ty / scale;
    const x1 = x0 + cssW / scale;
    const y1 = y0 + cssH / scale;
    const text = cssVar(canvas, '--text', '#1d1d1f');
    const muted = cssVar(canvas, '--muted', '#5f6368');
    const accent = cssVar(canvas, '--accent', '#2457d6');
    const surface = cssVar(canvas, '--surface', '#ffffff');

    ctx.lineWidth = 1 / Math.max(scale, 0.5);
    ctx.strokeStyle = muted;
    // Edges: one path; curves only where they can be seen as such.
    ctx.beginPath();
    for (const e of s.edges) {
      const p = e.points;
      let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity; // prettier-ignore
      for (let i = 0; i < p.length; i += 2) {
        minX = Math.min(minX, p[i]!);
        maxX = Math.max(maxX, p[i]!);
        minY = Math.min(minY, p[i + 1]!);
        maxY = Math.max(maxY, p[i + 1]!);
      }
      if (maxX < x0 || minX > x1 || maxY < y0 || minY > y1) continue;
      ctx.moveTo(p[0]!, p[1]!);
      if (p.length === 4 && scale >= 0.3) {
        const my = (p[1]! + p[3]!) / 2;
        ctx.bezierCurveTo(p[0]!, my, p[2]!, my, p[2]!, p[3]!);
      } else for (let i = 2; i < p.length; i += 2) ctx.lineTo(p[i]!, p[i + 1]!);
    }
    ctx.stroke();

    const labels = scale >= LABEL_SCALE;
    const visible: SceneNode[] = [];
    // Op boxes grouped by colour, each group one path and one fill: far fewer style changes than a fill per node.
    const byColor = new Map<string, SceneNode[]>();
    for (const n of s.nodes) {
      if (n.x > x1 || n.x + n.width < x0 || n.y > y1 || n.y + n.height < y0) continue;
      visible.push(n);
      if (n.kind !== 'op') continue;
      const color = (m.get(n.id) ?? NO_MARK).color;
      const group = byColor.get(color);
      if (group) group.push(n);
      else byColor.set(color, [n]);
    }
    const thin = 1 / Math.max(scale, 0.5);
    // Frames first (their bodies' boxes go over them), then graph inputs and outputs.
    for (const n of visible) {
      if (n.kind !== 'frame') continue;
      const color = (m.get(n.id) ?? NO_MARK).color;
      ctx.fillStyle = surface;
      ctx.globalAlpha = 0.6;
      ctx.fillRect(n.x, n.y, n.width, n.height);
      ctx.globalAlpha = 1;
      ctx.strokeStyle = color;
      ctx.lineWidth = 2 * thin;
      ctx.strokeRect(n.x, n.y, n.width, n.height);
      ctx.fillStyle = color;
      ctx.fillRect(n.x, n.y, n.width, 22);
    }
    ctx.fillStyle = surface;
    ctx.strokeStyle = muted;
    ctx.lineWidth = thin;
    for (const n of visible) {
      if (n.kind !== 'input' && n.kind !== 'output') continue;
      ctx.fillRect(n.x, n.y, n.width, n.height);
      ctx.strokeRect(n.x, n.y, n.width, n.height);
    }
    for (const [color, group] of byColor) {
      ctx.fillStyle = color;
      ctx.beginPath();
      for (const n of group) ctx.rect(n.x, n.y, n.width, n.height);
      ctx.fill();
    }
    for (const n of visible) {
      if (n.id !== sel && !found.has(n.id)) continue;
      ctx.strokeStyle = n.id === sel ? accent : text;
      ctx.lineWidth = (n.id === sel ? 3 : 2) / Math.max(scale, 0.3);
      ctx.strokeRect(n.x - 2, n.y - 2, n.width + 4, n.height + 4);
    }
    if (labels) {
      const fontUnits = labelFontUnits(scale);
      ctx.font = `${fontUnits}px system-ui, sans-serif`;
      ctx.textBaseline = 'middle';
      const measure = (t: string) => ctx.measureText(t).width;
      // Zoomed out, the font is larger than the boxes were laid out for: a long label ends in "…". Cut once per
      // font size, not on every frame of a pan (measuring is the costly part).
      if (fittedLabels.current.fontUnits !== fontUnits)
        fittedLabels.current = { fontUnits, cut: new Map() };
      const cut = fittedLabels.current.cut;
      const fitted = (t: string, room: number) => {
        if (fontUnits <= LABEL_FONT_UNITS) return t;
        const key = `${room}|${t}`;
        let shown = cut.get(key);
        if (shown === undefined) cut.set(key, (shown = fitLabel(t, room, measure)));
        return shown;
      };
      const pad = labelPadUnits(scale);
      for (const n of visible) {
        ctx.fillStyle = n.kind === 'op' || n.kind === 'frame' ? '#1d1d1f' : text;
        const label = n.expandable ? `${n.label} ${n.kind === 'frame' ? '−' : '+'}` : n.label;
        const room = n.width - 2 * pad;
        ctx.fillText(
          fitted(label, room),
          n.x + pad,
          n.kind === 'frame' ? n.y + 11 : n.y + n.height / 2,
          room,
        );
      }
      ctx.fillStyle = muted;
      for (const c of s.captions) ctx.fillText(c.text, c.x, c.y);
    }
  }, []);

  const redraw = useCallback(() => {
    if (frame.current === 0) frame.current = requestAnimationFrame(draw);
  }, [draw]);

  const wholeChange = useRef(onWholeChange);
  wholeChange.current = onWholeChange;
  // How the view was framed, so a resize frames it again the same way; null once the user pans or zooms.
  const framing = useRef<'fit' | 'opening' | null>(null);
  // The canvas's size when last measured, for what a resize moves.
  const size = useRef<{ width: number; height: number } | null>(null);

  const fit = useCallback(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    view.current = fitView(props.current.scene, canvas.clientWidth || 1, canvas.clientHeight || 1);
    framing.current = 'fit';
    wholeChange.current?.(true);
    redraw();
  }, [redraw]);

  const open = useCallback(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const opening = openingView(props.current.scene, canvas.clientWidth || 1, canvas.clientHeight || 1);
    view.current = opening.view;
    framing.current = 'opening';
    wholeChange.current?.(opening.whole);
    redraw();
  }, [redraw]);

  useImperativeHandle(
    ref,
    () => ({
      fit,
      focus(id) {
        const canvas = canvasRef.current;
        const node = props.current.scene.nodes.find((n) => n.id === id);
        if (!canvas || !node) return;
        const scale = Math.min(Math.max(view.current.scale, 1), 1.5);
        framing.current = null;
        view.current = {
          scale,
          tx: canvas.clientWidth / 2 - (node.x + node.width / 2) * scale,
          ty: canvas.clientHeight / 2 - (node.y + node.height / 2) * scale,
        };
        redraw();
      },
      zoomBy(factor) {
        const canvas = canvasRef.current;
        if (!canvas) return;
        framing.current = null;
        zoomAt(view.current, factor, canvas.clientWidth / 2, canvas.clientHeight / 2);
        redraw();
      },
    }),
    [fit, redraw],
  );

  // A new scene (another model, or a node expanded) keeps the view unless nothing was drawn yet.
  const drawnOnce = useRef(false);
  useEffect(() => {
    if (!drawnOnce.current) {
      drawnOnce.current = true;
      open();
    } else redraw();
    const id = requestAnimationFrame(() => onDrawn?.());
    return () => cancelAnimationFrame(id);
  }, [scene, open, redraw, onDrawn]);
  useEffect(redraw, [marks, selected, matches, redraw]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const observer = new ResizeObserver(() => {
      const before = size.current;
      const after = { width: canvas.clientWidth, height: canvas.clientHeight };
      size.current = after;
      if (framing.current === 'fit') fit();
      else if (framing.current === 'opening') open();
      else {
        // Panned or zoomed by hand, or centred on a node: the middle stays the middle, and the selection in view.
        if (before && before.width > 0 && before.height > 0 && after.width > 0 && after.height > 0) {
          view.current = resizedView(view.current, before, after);
          const { selected: id, scene: s } = props.current;
          const node = id === null ? undefined : s.nodes.find((n) => n.id === id);
          if (node) view.current = viewShowing(view.current, node, after.width, after.height);
          // The note on a graph too tall to read whole follows the canvas's size, not how the view opened.
          wholeChange.current?.(fitsReadable(s, after.width, after.height));
        }
        redraw();
      }
    });
    observer.observe(canvas);
    // Not a React handler: React's wheel listener is passive, and the page must not scroll while zooming.
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      framing.current = null;
      const rect = canvas.getBoundingClientRect();
      zoomAt(
        view.current,
        Math.exp(-event.deltaY / 300),
        event.clientX - rect.left,
        event.clientY - rect.top,
      );
      redraw();
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      observer.disconnect();
      canvas.removeEventListener('wheel', onWheel);
      cancelAnimationFrame(frame.current);
      frame.current = 0;
    };
  }, [redraw, fit, open]);

  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  const hit = (clientX: number, clientY: number): SceneNode | undefined => {
    const canvas = canvasRef.current!;
    const rect = canvas.getBoundingClientRect();
    const { scale, tx, ty } = view.current;
    const gx = (clientX - rect.left - tx) / scale;
    const gy = (clientY - rect.top - ty) / scale;
    // Last drawn wins: a body's nodes are drawn after (over) their frame.
    const nodes = props.current.scene.nodes;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const n = nodes[i]!;
      if (gx >= n.x && gx <= n.x + n.width && gy >= n.y && gy <= n.y + n.height) return n;
    }
    return undefined;
  };

  return (
    <canvas
      ref={canvasRef}
      className="graph-canvas"
      data-testid="graph-canvas"
      data-nodes={scene.nodes.length}
      tabIndex={0}
      aria-label="The model's graph. Drag to pan, scroll to zoom, click a node for its details, double-click an If, Loop or Scan to expand it."
      onPointerDown={(event) => {
        drag.current = { x: event.clientX, y: event.clientY, moved: false };
        event.currentTarget.setPointerCapture(event.pointerId);
      }}
      onPointerMove={(event) => {
        const d = drag.current;
        if (!d) return;
        const dx = event.clientX - d.x;
        const dy = event.clientY - d.y;
        if (!d.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
        d.moved = true;
        framing.current = null;
        view.current.tx += dx;
        view.current.ty += dy;
        d.x = event.clientX;
        d.y = event.clientY;
        redraw();
      }}
      onPointerUp={(event) => {
        const d = drag.current;
        drag.current = null;
        if (d?.moved) return;
        const node = hit(event.clientX, event.clientY);
        onSelect(node ? node.id : null);
        // A click on a frame's header, or on the + of a collapsed node, toggles it.
        if (node?.expandable && (node.kind !== 'frame' || hitsHeader(node, event)))
          onToggleIfPlus(node, event);
      }}
      onDoubleClick={(event) => {
        const node = hit(event.clientX, event.clientY);
        if (node?.expandable) onToggle(node.id);
      }}
      onKeyDown={(event) => {
        const step = 60;
        if (event.key.startsWith('Arrow') || ['+', '=', '-'].includes(event.key)) framing.current = null;
        if (event.key === 'ArrowLeft') view.current.tx += step;
        else if (event.key === 'ArrowRight') view.current.tx -= step;
        else if (event.key === 'ArrowUp') view.current.ty += step;
        else if (event.key === 'ArrowDown') view.current.ty -= step;
        else if (event.key === '+' || event.key === '=')
          zoomAt(view.current, 1.25, canvasRef.current!.clientWidth / 2, canvasRef.current!.clientHeight / 2);
        else if (event.key === '-')
          zoomAt(view.current, 0.8, canvasRef.current!.clientWidth / 2, canvasRef.current!.clientHeight / 2);
        else if (event.key === 'Enter' && props.current.selected) onToggle(props.current.selected);
        else return;
        event.preventDefault();
        redraw();
      }}
    />
  );

  function hitsHeader(node: SceneNode, event: { clientY: number }): boolean {
    const rect = canvasRef.current!.getBoundingClientRect();
    const gy = (event.clientY - rect.top - view.current.ty) / view.current.scale;
    return gy <= node.y + 22;
  }

  /** The + (or −) is the last 18 units of the label's box. */
  function onToggleIfPlus(node: SceneNode, event: { clientX: number }) {
    const rect = canvasRef.current!.getBoundingClientRect();
    const gx = (event.clientX - rect.left - view.current.tx) / view.current.scale;
    if (node.kind === 'frame' || gx >= node.x + node.width - 24) onToggle(node.id);
  }
});

function zoomAt(v: View, factor: number, cx: number, cy: number): void {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, v.scale * factor));
  const f = scale / v.scale;
  v.tx = cx - (cx - v.tx) * f;
  v.ty = cy - (cy - v.ty) * f;
  v.scale = scale;
}
