/**
 * The method catalog (shared/options/method-catalog.ts), computed once. It is derived from the declared
 * method specs, which the engine's method modules register with (method-catalog.test.ts checks that every
 * declared method is registered and the reverse), so building it loads no engine code.
 */
import { buildMethodCatalog } from '../../../shared/options/method-catalog.js';
import type { MethodCatalog } from '../../../shared/method-catalog-types.js';

let cached: MethodCatalog | undefined;

export function methodCatalog(): MethodCatalog {
  cached ??= buildMethodCatalog();
  return cached;
}
