export { networkNetlist, networkFiles, weightsInclude, inputsInclude, inlineIncludes, checkCodes, type Codes } from './network.js';
