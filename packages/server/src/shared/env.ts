/** The process environment as configuration readers take it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A positive whole number from the environment, or `fallback` when unset. */
export function positiveInteger(env: Env, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer.`);
  return value;
}
