/**
 * The external data file a model we write keeps its weights in: `OUT.onnx.data` beside `OUT.onnx`. Declared once:
 * the save names it so (electron/engine/onnx/save-model.ts), the output checks look for it (output-guard.ts), and
 * the app's Export page and job results name it.
 */
export function dataFileOf(modelPath: string): string {
  return `${modelPath}.data`;
}
