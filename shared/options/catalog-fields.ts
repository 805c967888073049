/** Reading the catalog's fields (zod-free, so the page can use it without bundling zod). */
import type { MethodFamily, OptionField } from '../method-catalog-types.js';

/** The common fields that mean something to one method (the fp16 form shows no int8 options). */
export function commonFieldsFor(family: MethodFamily, method: string): OptionField[] {
  return family.commonFields.filter((f) => !f.methods || f.methods.includes(method));
}

/** A field's label from its option key (`maxTrials` -> `Max trials`): what the app's forms call an option. */
export function labelFromKey(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
