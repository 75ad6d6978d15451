export { measureSomas, measureSynapses, type SomaCurve, type SynapseCurve } from './cells.js';
export { fitLine } from './linefit.js';
