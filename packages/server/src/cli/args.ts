import { type ParseArgsConfig, parseArgs } from 'node:util';

export type Flags = Record<string, string | boolean | undefined>;

/** Parses `purse <command> [subcommand] [--flags]` with node's own parser. */
export function parseCommand(argv: readonly string[], options: NonNullable<ParseArgsConfig['options']>) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options,
    allowPositionals: true,
    strict: true,
  });
  return { flags: values as Flags, positionals };
}

export function flag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}
