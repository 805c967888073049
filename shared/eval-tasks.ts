/*
 * What `eval` measures against (`--task`, the evaluate job's `task`): one list that the CLI's flag, the IPC
 * contract and the engine read. Zod-free, so the renderer may import it.
 */

/** `auto` decides from the labels (or, without labels, a language model's own ids) and the output. */
export const TASK_REQUESTS = ['auto', 'classification', 'regression', 'next-token'] as const;
export type TaskRequest = (typeof TASK_REQUESTS)[number];

/** What an evaluation measured: `none` when only fidelity against a reference was. */
export type MeasuredTask = 'classification' | 'regression' | 'next-token' | 'none';
