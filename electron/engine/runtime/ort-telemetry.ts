/**
 * onnxruntime (1.29 and later) sends telemetry from Linux and macOS too: a process-information event and
 * session and model events, with a device identifier it stores on disk, and its uploader leaves an empty
 * `mat-debug-<pid>.log` in the temp folder of every process that creates a session (thousands of them after
 * a test run). ONNX Studio works on the user's own models, offline: onnxruntime's telemetry is off unless the
 * user turns it on by setting ORT_DISABLE_TELEMETRY=0 themselves (an explicit setting is left alone).
 *
 * Imported, for its effect, by every module that creates a session. onnxruntime reads the variable once, when
 * it creates its environment on the first session, so it must be set before that, not before the import.
 */
process.env.ORT_DISABLE_TELEMETRY ??= '1';

export {};
