/**
 * How wide a line of chart text is, without a browser: the report's SVG is written in Node, where no font can be
 * measured, and a text past the SVG's width is cut off at its edge (the latency chart lost the end of its
 * "(measured 2.35)" notes and of its caption). The estimate and the wrapping live in shared/chart-labels.ts,
 * where the app's charts lay out their names by them too.
 */
export { labelLines, textWidth, wrapText } from '../../../shared/chart-labels.js';
