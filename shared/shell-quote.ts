/** Quotes for POSIX shells when needed: `'it'\''s'`. Plain paths stay readable. A leaf: messages of the engine use it. */
export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
