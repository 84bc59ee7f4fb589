/**
 * What a command prints and how it exits. With `--json`, stdout carries one JSON document and
 * nothing else (logs and progress go to stderr); exit 0 is success, 1 a failed check or a refused
 * request, 2 a usage error.
 */
export interface Outcome {
  readonly exit_code: 0 | 1 | 2;
  /** Printed with --json. */
  readonly json: unknown;
  /** Printed otherwise. */
  readonly text: string;
}

export function success(json: unknown, text: string): Outcome {
  return { exit_code: 0, json, text };
}

export function failure(json: unknown, text: string): Outcome {
  return { exit_code: 1, json, text };
}

/** An RFC 9457 problem as the API answers it (or as the CLI describes its own refusals). */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly code: string;
  readonly param?: string;
  readonly request_id?: string;
}

/** Bad command line: exit 2. */
export class UsageError extends Error {
  readonly problem: Problem;
  constructor(detail: string) {
    super(detail);
    this.problem = {
      type: 'urn:purse:problem:usage_error',
      title: 'Usage error',
      detail,
      code: 'usage_error',
    };
  }
}

/** A request the API (or the CLI for it) refused: exit 1, with the problem. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(describeProblem(problem));
  }
}

export function describeProblem(problem: Problem): string {
  const where = problem.param === undefined ? '' : ` (${problem.param})`;
  const request = problem.request_id === undefined ? '' : ` [${problem.request_id}]`;
  return `${problem.code}: ${problem.detail ?? problem.title ?? 'refused'}${where}${request}`;
}

/** Prints a command's result on stdout, whether it found a problem or not; returns its exit code. */
export function emit(outcome: Outcome, json: boolean): number {
  process.stdout.write(`${json ? JSON.stringify(outcome.json, null, 2) : outcome.text}\n`);
  return outcome.exit_code;
}

/**
 * Prints why a command could not run (a usage error, a refused request): the problem as JSON on
 * stdout with --json, so a script reads one document either way, else a line on stderr.
 */
export function emitError(problem: Problem, text: string, exit_code: 1 | 2, json: boolean): number {
  if (json) process.stdout.write(`${JSON.stringify(problem, null, 2)}\n`);
  else process.stderr.write(`${text}\n`);
  return exit_code;
}
