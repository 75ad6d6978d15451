export { runFlow, type FlowOptions, type FlowSummary } from './flow.js';
