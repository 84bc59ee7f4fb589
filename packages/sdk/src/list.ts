/** One page of a list, as every list endpoint answers. */
export interface Page<T> {
  readonly object: 'list';
  readonly data: T[];
  readonly has_more: boolean;
}

/** The cursor of the next page: after the last item going back in time, before the first going forward. */
export interface Cursor {
  readonly starting_after?: string;
  readonly ending_before?: string;
}

/**
 * What a list method returns: await it for the first page, or iterate it with `for await` for
 * every item of every page (fetched one page at a time, as the loop asks, with `starting_after`,
 * or `ending_before` when the first call paged forward). Like stripe-node's lists.
 */
export class PageRequest<T extends { readonly id: string }>
  implements PromiseLike<Page<T>>, AsyncIterable<T>
{
  private first: Promise<Page<T>> | undefined;

  constructor(
    private readonly fetchPage: (cursor: Cursor) => Promise<Page<T>>,
    private readonly forward: boolean,
  ) {}

  // biome-ignore lint/suspicious/noThenProperty: awaitable on purpose, the first page
  then<A = Page<T>, B = never>(
    onfulfilled?: ((page: Page<T>) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.firstPage().then(onfulfilled, onrejected);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let page = await this.firstPage();
    for (;;) {
      yield* page.data;
      const next = this.nextCursor(page);
      if (next === undefined) return;
      page = await this.fetchPage(next);
    }
  }

  /** Every item, up to `max_items` (required: a list can be longer than memory). */
  async toArray(options: { max_items: number }): Promise<T[]> {
    const items: T[] = [];
    if (options.max_items <= 0) return items;
    for await (const item of this) {
      items.push(item);
      if (items.length >= options.max_items) break;
    }
    return items;
  }

  private firstPage(): Promise<Page<T>> {
    this.first ??= this.fetchPage({});
    return this.first;
  }

  private nextCursor(page: Page<T>): Cursor | undefined {
    if (!page.has_more || page.data.length === 0) return undefined;
    // Pages are newest first: going back continues after the last item, going forward before the first.
    const edge = this.forward ? page.data[0] : page.data.at(-1);
    if (edge === undefined) return undefined;
    return this.forward ? { ending_before: edge.id } : { starting_after: edge.id };
  }
}
