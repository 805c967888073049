import * as ort from 'onnxruntime-node';

/**
 * onnxruntime prints its own log lines on stderr (coloured, with a C++ source location: "[E:onnxruntime:,
 * sequential_executor.cc:671 ExecuteKernel] Non-zero status code returned while running Reshape node…"),
 * ahead of the error ONNX Studio reports for the same failure. That error already carries onnxruntime's reason
 * (in its message and its `detail`), so onnxruntime's own logging is off: only fatal messages, which come just
 * before the process dies and would otherwise be lost, still reach stderr.
 *
 * Two loggers: the environment's default one, whose level onnxruntime-node reads once, when it creates its
 * environment on the first session (so this is set before any session, by importing this module for its
 * effect wherever a session is created); and each session's own (and its runs'), which `ORT_LOG_SEVERITY`
 * sets in the session options.
 */
export const ORT_LOG_SEVERITY = 4;

ort.env.logLevel = 'fatal';
