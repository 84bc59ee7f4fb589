import { Type } from '@sinclair/typebox';
import { ListOf } from '../http/schemas.js';

/** GET /v1/search: its query and results (the dashboard's search page, docs/reports.md). */

export const search_query_chars_max = 200;
export const search_results_max = 50;
export const search_results_default = 20;

export const SearchQuery = Type.Object({
  q: Type.String({
    minLength: 1,
    maxLength: search_query_chars_max,
    description:
      'An id (hol_, wal_, tr_, pay_, po_), a holder external id or email, or an exact amount such as "12.34" (matched in every asset it fits).',
    examples: ['ada@example.com'],
  }),
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: search_results_max,
      default: search_results_default,
      description: 'Most results.',
    }),
  ),
});

export const SearchResult = Type.Object({
  object: Type.Union(
    [
      Type.Literal('holder'),
      Type.Literal('wallet'),
      Type.Literal('transfer'),
      Type.Literal('payment'),
      Type.Literal('payout'),
    ],
    { examples: ['holder'] },
  ),
  id: Type.String({ examples: ['hol_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
  livemode: Type.Boolean(),
  title: Type.String({ examples: ['Ada Lovelace'] }),
  subtitle: Type.String({ examples: ['ada@example.com · cus_6735'] }),
  created_at: Type.String({ format: 'date-time', examples: ['2026-11-21T12:00:00.000Z'] }),
});

export const SearchResults = {
  ...ListOf(SearchResult),
  examples: [
    {
      object: 'list',
      data: [
        {
          object: 'holder',
          id: 'hol_01jd0w3n3w8m5t5vq6fz1y2k3h',
          livemode: false,
          title: 'Ada Lovelace',
          subtitle: 'ada@example.com · cus_6735',
          created_at: '2026-11-21T12:00:00.000Z',
        },
      ],
      has_more: false,
    },
  ],
};
