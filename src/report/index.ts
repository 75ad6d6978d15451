export { writeReport, type ReportOptions, type ReportResult } from './report.js';
export { renderSvg, type PlotSpec } from './render.js';
