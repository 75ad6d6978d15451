/** Die paths of every device of a network: the names mismatch draws are keyed by. */
export const somaPath = (layer: number, i: number) => `s${layer}/${i}`;
export const synapsePath = (layer: number, i: number, j: number) => `w${layer}/${i}/${j}`;
export const readoutPath = (i: number) => `r/${i}`;

/** Transistors in the network: 5 per soma, 11 per synapse, 1 readout per output neuron. */
export function countTransistors(layers: number[]): { somas: number; synapses: number; readouts: number; transistors: number } {
  const somas = layers.reduce((a, b) => a + b, 0);
  let synapses = 0;
  for (let k = 0; k + 1 < layers.length; k++) synapses += layers[k] * layers[k + 1];
  const readouts = layers[layers.length - 1];
  return { somas, synapses, readouts, transistors: 5 * somas + 11 * synapses + readouts };
}
