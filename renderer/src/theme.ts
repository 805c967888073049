/**
 * Light and dark themes. The user's choice (`light`, `dark`, or `system` to follow the OS) is kept in
 * localStorage and applied as `data-theme` on <html>; the stylesheet defines every color per theme. Charts
 * need real colors (an exported SVG has no stylesheet), so `useChartColors` reads the resolved CSS
 * variables and re-reads them when the theme changes.
 */
import { useEffect, useState } from 'react';
import { OTHER_LIGHT, SERIES_LIGHT } from '../../shared/chart-colors.js';

export type ThemeChoice = 'system' | 'light' | 'dark';
const STORAGE_KEY = 'onnx-studio.theme';

export function loadThemeChoice(): ThemeChoice {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    return saved === 'light' || saved === 'dark' ? saved : 'system';
  } catch {
    return 'system';
  }
}

export function applyThemeChoice(choice: ThemeChoice): void {
  const root = document.documentElement;
  if (choice === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', choice);
  try {
    if (choice === 'system') localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, choice);
  } catch {
    // Storage can be off (private mode); the choice then lasts for this page only.
  }
}

export interface ChartColors {
  text: string;
  muted: string;
  grid: string;
  surface: string;
  background: string;
  accent: string;
  /** One color per series: original first. No grey among them (shared/chart-colors.ts). */
  series: string[];
  /** The "other" bucket's neutral grey, distinct from every series color. */
  other: string;
  /** Whiskers and secondary marks. */
  whisker: string;
}

function readColors(): ChartColors {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--text', '#1d1d1f'),
    muted: v('--muted', '#5f6368'),
    grid: v('--border', '#d9dbe0'),
    surface: v('--surface', '#ffffff'),
    background: v('--bg', '#f7f7f8'),
    accent: v('--accent', '#2457d6'),
    whisker: v('--whisker', '#444'),
    series: SERIES_LIGHT.map((fallback, i) => v(`--series-${i + 1}`, fallback)),
    other: v('--series-other', OTHER_LIGHT),
  };
}

/** The current chart colors; updates when the theme choice or the OS scheme changes. */
export function useChartColors(): ChartColors {
  const [colors, setColors] = useState(readColors);
  useEffect(() => {
    const update = () => setColors(readColors());
    const observer = new MutationObserver(update);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', update);
    return () => {
      observer.disconnect();
      media.removeEventListener('change', update);
    };
  }, []);
  return colors;
}

export function seriesColor(colors: ChartColors, index: number): string {
  return colors.series[index % colors.series.length] ?? colors.accent;
}
