/**
 * Why the page could not fetch a model from the host for a browser benchmark, by HTTP status, in words that
 * agree with the "what to do" shown under it (the IO hint: check that the files exist and can be read). A 422 is
 * the engine refusing the model's external data (an unsafe location, a missing data file): `detail`, the host's
 * answer, says which and what to do.
 */
export function pageLoadFailure(model: string, status: number, detail?: string): string {
  const head = `Could not load ${model} into the page (HTTP ${status})`;
  if (status === 422 && detail) return `${head}: ${detail.trim()}`;
  if (status === 401 || status === 403)
    return `${head}: the host no longer accepts this page's token. Open the address onnx-studio serve printed when it started.`;
  if (status === 404)
    return `${head}: the host has no such model in the open workspace, or its file is gone. Reopen the model so the page and the host list the same variants.`;
  if (status >= 500)
    return `${head}: the host could not read the file. The terminal running onnx-studio serve says why.`;
  return `${head}.`;
}
