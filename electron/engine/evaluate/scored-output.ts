import type { TypeProto } from 'onnx-buf';
import { StudioError } from '../errors.js';
import { describeType } from '../inspect/inspect-model.js';
import type { LabelSurvey } from '../datasets/label-survey.js';
import { SCORES_NAME } from './fidelity-metrics.js';
import { INTEGER_TYPES, isVector } from './task.js';

/*
 * Which output class labels are scored against. A model with several outputs (features and logits, logits and
 * probabilities) is scored on the output that fits the labels, not blindly on its first: a 192-wide feature
 * output read as 192 class scores gave 0.28% where the model's logits give 99.44%. Evaluation decides from the
 * outputs as they run, the data check (check-dataset.ts) from their declared shapes; both through `chooseScoredOutput`.
 */

/** How an output reads against class labels. */
export interface OutputRole {
  name: string;
  /** It scores this many classes: one vector of 2 or more values per sample. */
  classes?: number;
  /** It is the predicted class itself: one integer per sample. */
  classIndex?: boolean;
  /** Its size is not known (declared with open dims). */
  unknown?: boolean;
}

/** An output as it ran: its element type and dims. */
export function runtimeRole(name: string, type: string, dims: readonly number[]): OutputRole {
  const values = dims.reduce((a, b) => a * b, 1);
  if (isVector(dims) && values >= 2 && type !== 'string') return { name, classes: values };
  if (values === 1 && INTEGER_TYPES.has(type)) return { name, classIndex: true };
  return { name };
}

/** An output as the model declares it: an open leading dim is the batch (fed as 1); another open dim is unknown. */
export function declaredRole(name: string, type: TypeProto | undefined): OutputRole {
  const { dtype, shape } = describeType(type);
  const dims: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d === 'number' && d >= 0) dims.push(d);
    else if (i === 0) dims.push(1);
    else return { name, unknown: true };
  }
  return runtimeRole(name, dtype, dims);
}

/** What the labels need of a scored output: this many classes, in words for the messages. */
export interface ClassNeed {
  classes: number;
  /** `labels 0 to 9`, `the 12 class folders`, `one-hot rows of 10`. */
  text: string;
}

/**
 * The classes the labels need, when they are class labels (whole numbers, one-hot rows, class folders); else
 * undefined: values for regression, which no output choice is made for.
 */
export function classNeed(
  survey: LabelSurvey | undefined,
  classNames?: readonly string[],
): ClassNeed | undefined {
  if (classNames && classNames.length > 0) {
    const classes = Math.max(classNames.length, (survey?.maxClass ?? -1) + 1);
    return { classes, text: `the ${classNames.length} class folders` };
  }
  if (!survey) return undefined;
  if (survey.oneHot) return { classes: survey.width, text: `one-hot rows of ${survey.width}` };
  if (survey.classIds && survey.maxClass !== undefined)
    return { classes: survey.maxClass + 1, text: `labels ${survey.minClass ?? 0} to ${survey.maxClass}` };
  return undefined;
}

function what(role: OutputRole): string {
  if (role.classes !== undefined) return `scores ${role.classes} classes`;
  if (role.classIndex) return 'is the predicted class';
  if (role.unknown) return 'has no fixed size';
  return 'is not class scores';
}

const quoted = (names: readonly string[]) => names.map((n) => `'${n}'`).join(', ');

export interface OutputChoice {
  /** The output scored. */
  output: string;
  /**
   * Which output is scored and why, where the model has several: `output 'logits', not the first output 'features':
   * ... (a guess)`. Said beside the figures as a note (`scoredOutputNote`) and by the data check, in words that fit
   * every host (tune's `--output` is its variant file; the app has no such option).
   */
  reason?: string;
  /** The CLI's way to score another output, where one could be: `--output features scores the first output`. */
  cliHint?: string;
}

/** The note that names the output scored, from `OutputChoice.reason`. */
export function scoredOutputNote(reason: string): string {
  return `scored ${reason}`;
}

/** Whether a note is the one that names the output scored (eval prints it under the figures it is about). */
export function isScoredOutputNote(note: string): boolean {
  return note.startsWith('scored output ');
}

/**
 * The output to score against class labels: the first that fits them (it scores as many classes as the labels
 * need, or is the predicted class); else the first whose name says class scores (`logits`, `probs`: labels past
 * its classes are then refused with its name, not scored on a wide feature output); else the first that scores
 * enough classes for them; else the first output (whose task metrics then say why it cannot be scored). Of several
 * outputs, it says which is scored and why.
 */
export function chooseScoredOutput(roles: readonly OutputRole[], need: ClassNeed): OutputChoice {
  const first = roles[0];
  if (!first) throw new StudioError('BAD_REQUEST', 'The model has no outputs to score.');
  const fits = roles.filter((r) => r.classIndex || r.classes === need.classes);
  const named = roles.filter((r) => (r.classes !== undefined || r.unknown) && SCORES_NAME.test(r.name));
  const covers = roles.filter((r) => r.classes !== undefined && r.classes >= need.classes);
  const tier = fits.length > 0 ? fits : named.length > 0 ? named.slice(0, 1) : covers;
  const chosen = tier[0];
  if (!chosen) return { output: first.name };
  if (roles.length < 2) return { output: chosen.name };
  const because =
    fits.length > 0
      ? `'${chosen.name}' ${what(chosen)}, as ${need.text} need`
      : named.length > 0
        ? `'${chosen.name}' ${what(chosen)} and its name says class scores (no output scores as many classes as ${need.text} need)`
        : `'${chosen.name}' ${what(chosen)}, enough for ${need.text}`;
  if (chosen !== first) {
    return {
      output: chosen.name,
      reason: `output '${chosen.name}', not the first output '${first.name}': ${because}, and '${first.name}' ${what(first)} (a guess)`,
      cliHint: `--output ${first.name} scores the first output`,
    };
  }
  if (tier.length < 2)
    return {
      output: chosen.name,
      reason: `output '${chosen.name}', the first of ${roles.length} outputs: ${because}`,
    };
  const others = tier.slice(1).map((r) => r.name);
  return {
    output: chosen.name,
    reason: `output '${chosen.name}', the first of the outputs that fit ${need.text} (${tier.map((r) => `'${r.name}' ${what(r)}`).join(', ')})`,
    cliHint: `--output ${others[0]} scores ${others.length > 1 ? `another (${quoted(others)})` : 'the other'}`,
  };
}

/**
 * Class folders the model's output cannot score: more folders than its classes. An empty folder still takes a
 * class id (labels are folder positions), so the message names the empty ones, which are most often the cause.
 */
export function checkClassFolders(
  classNames: readonly string[] | undefined,
  emptyClasses: readonly string[] | undefined,
  classes: number,
  output: string,
): void {
  if (!classNames || classNames.length <= classes) return;
  const listed = `${classNames.slice(0, 5).join(', ')}${classNames.length > 5 ? ', ...' : ''}`;
  const empty = (emptyClasses ?? []).map((name) => `${name} (class ${classNames.indexOf(name)})`);
  const why =
    empty.length === 0
      ? ''
      : ` ${empty.length === 1 ? 'Class folder' : 'Class folders'} ${empty.slice(0, 5).join(', ')}${empty.length > 5 ? ', ...' : ''} ` +
        `${empty.length === 1 ? 'holds' : 'hold'} no images but still ${empty.length === 1 ? 'takes a class id' : 'take class ids'}: ` +
        `remove ${empty.length === 1 ? 'it' : 'them'}, or check that the folders are this model's classes.`;
  throw new StudioError(
    'BAD_REQUEST',
    `The data has ${classNames.length} classes (${listed}) but output '${output}' scores only ${classes}.${why}`,
  );
}
