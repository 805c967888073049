/**
 * A size in binary units (KiB, MiB, GiB), because that is how file managers on Windows and Linux report model
 * sizes: 2 decimals under 10, 1 above (`2.00 KiB`, `403.3 MiB`, `1.07 GiB`). Declared once for the CLI, the
 * engine's stages and reports, and the app.
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
