/**
 * Text PostgreSQL cannot store: a NUL character (refused in `text` and `jsonb`) or a UTF-16
 * surrogate without its pair (not Unicode, so not encodable as UTF-8; `jsonb` refuses its escape).
 * Either would reach the database from any string field and fail there as a 500.
 */
export function textFault(text: string): string | undefined {
  if (text.includes('\u0000')) return 'a NUL character (U+0000)';
  if (lone_surrogate.test(text)) return 'an unpaired UTF-16 surrogate';
  return undefined;
}

// Without the `u` flag a pattern sees UTF-16 code units, so a half of a pair matches on its own.
const lone_surrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface TextFaultAt {
  /** Property names down to the value at fault (for a field name: to the object holding it). */
  readonly path: readonly string[];
  readonly message: string;
}

// A path as a chain to its parent, so that descending costs the same at any depth.
interface Step {
  readonly key: string;
  readonly parent: Step | undefined;
}

function pathOf(step: Step | undefined): string[] {
  const path: string[] = [];
  for (let at = step; at !== undefined; at = at.parent) path.unshift(at.key);
  return path;
}

/**
 * The first string, value or field name, in `value` that `textFault` refuses, depth-first. A loop
 * over a stack rather than recursion: a body may nest as deep as its size allows.
 */
export function findTextFault(value: unknown): TextFaultAt | undefined {
  const stack: { value: unknown; step: Step | undefined }[] = [{ value, step: undefined }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value: item, step } = next;
    if (typeof item === 'string') {
      const fault = textFault(item);
      if (fault !== undefined) return { path: pathOf(step), message: `must not contain ${fault}` };
    } else if (item !== null && typeof item === 'object') {
      const entries = Object.entries(item);
      const bad_key = entries.map(([key]) => textFault(key)).find((fault) => fault !== undefined);
      if (bad_key !== undefined) {
        return { path: pathOf(step), message: `has a field name containing ${bad_key}` };
      }
      for (const [key, child] of entries.reverse()) stack.push({ value: child, step: { key, parent: step } });
    }
  }
  return undefined;
}
