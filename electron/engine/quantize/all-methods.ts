// Importing this module registers every quantization method (each method module registers itself).
import './methods/int8-weight.js';
import './methods/fp16.js';
import './methods/int4.js';
import './methods/int8-dynamic.js';
import './methods/int8-static.js';

export { quantizeMethod, quantizeMethods } from './method-registry.js';
