import type { z } from 'zod';
import { StudioError } from '../errors.js';
import type { QuantizeMethod } from './quantize-method.js';

const methods = new Map<string, QuantizeMethod>();

export function registerQuantizeMethod<S extends z.ZodType>(method: QuantizeMethod<S>): void {
  if (methods.has(method.name)) throw new Error(`quantization method '${method.name}' is registered twice`);
  methods.set(method.name, method as unknown as QuantizeMethod);
}

export function quantizeMethod(name: string): QuantizeMethod {
  const method = methods.get(name);
  if (!method) {
    throw new StudioError('BAD_REQUEST', `Unknown quantization method '${name}'. Choose one of: ${[...methods.keys()].join(', ')}.`);
  }
  return method;
}

export function quantizeMethods(): QuantizeMethod[] {
  return [...methods.values()];
}
