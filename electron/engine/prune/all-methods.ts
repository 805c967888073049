// Importing this module registers every pruning method (each method module registers itself).
import './methods/magnitude.js';
import './methods/structured.js';

export { pruneMethod, pruneMethods } from './method-registry.js';
