/**
 * The WHERE conditions of a list query, with their parameters numbered as they are added. Starts
 * with the mode, which every listing is scoped to.
 */
export class Filters {
  readonly where: string[] = ['livemode = $1'];
  readonly params: unknown[];

  constructor(livemode: boolean) {
    this.params = [livemode];
  }

  /** Adds `condition($n)` for `value`, unless the value is absent. */
  add(condition: (placeholder: string) => string, value: unknown): this {
    if (value === undefined) return this;
    this.params.push(value);
    this.where.push(condition(`$${this.params.length}`));
    return this;
  }

  equals(column: string, value: unknown): this {
    return this.add((p) => `${column} = ${p}`, value);
  }
}
