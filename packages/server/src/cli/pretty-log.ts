import type pino from 'pino';

const level_names: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
/** Fields every line has, shown in the line's head rather than repeated as key=value. */
const head_fields = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/**
 * A pino destination for a terminal: `12:00:01 INFO  message key=value ...` instead of JSON lines.
 * It receives the serialized record after pino's redaction, so it prints nothing that JSON would
 * not. Not a pino transport: those run in a worker thread, too slow to start for the CLI.
 */
export function prettyDestination(out: NodeJS.WritableStream): pino.DestinationStream {
  return {
    write(line: string) {
      out.write(`${prettyLine(line)}\n`);
    },
  };
}

export function prettyLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 19) : '';
  const level = level_names[record.level as number] ?? String(record.level);
  const rest = Object.entries(record)
    .filter(([key]) => !head_fields.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [time, level, String(record.msg ?? ''), ...rest].filter((part) => part !== '').join(' ');
}
