import type { z } from 'zod';
import { StudioError } from '../errors.js';
import type { PruneMethod } from './prune-method.js';

const methods = new Map<string, PruneMethod>();

/** Registers a pruning method under its name (each method module calls this once when imported). */
export function registerPruneMethod<S extends z.ZodType>(method: PruneMethod<S>): void {
  if (methods.has(method.name)) throw new Error(`pruning method '${method.name}' is registered twice`);
  methods.set(method.name, method as unknown as PruneMethod);
}

/** The method registered as `name`; BAD_REQUEST naming the choices when there is none. */
export function pruneMethod(name: string): PruneMethod {
  const method = methods.get(name);
  if (!method) {
    throw new StudioError(
      'BAD_REQUEST',
      `Unknown pruning method '${name}'. Choose one of: ${[...methods.keys()].join(', ')}.`,
    );
  }
  return method;
}

/** Every registered method, in registration order. */
export function pruneMethods(): PruneMethod[] {
  return [...methods.values()];
}
