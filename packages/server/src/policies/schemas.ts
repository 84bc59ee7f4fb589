import { type Static, Type } from '@sinclair/typebox';
import { Amount, Currency } from '../http/money-schemas.js';

const WalletIds = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
});

export const SpendLimit = Type.Object(
  {
    currency: Currency,
    per_movement_max: Type.Optional({
      ...Amount,
      description: 'The most one transfer, payout, escrow or refund may move.',
    }),
    daily_max: Type.Optional({ ...Amount, description: 'The most moved per UTC day.' }),
    weekly_max: Type.Optional({ ...Amount, description: 'The most moved per UTC week (Monday to Sunday).' }),
    monthly_max: Type.Optional({ ...Amount, description: 'The most moved per UTC calendar month.' }),
    approval_above: Type.Optional({
      ...Amount,
      description: 'A movement above this is parked as an approval (HTTP 202) instead of executed.',
    }),
  },
  { additionalProperties: false },
);

export const SpendPolicy = Type.Object(
  {
    limits: Type.Array(SpendLimit, {
      minItems: 1,
      maxItems: 20,
      description: 'One entry per currency the key may move; any other currency is refused.',
    }),
    allowed_destinations: Type.Optional(
      Type.Object(
        {
          wallet_ids: Type.Optional(WalletIds),
          holder_ids: Type.Optional(WalletIds),
        },
        {
          additionalProperties: false,
          description:
            'Money may go only to these wallets or to wallets of these holders; payouts, which leave Purse, are refused.',
        },
      ),
    ),
    allowed_hours: Type.Optional(
      Type.Object(
        {
          time_zone: Type.Optional(
            Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone; UTC by default.' }),
          ),
          start_hour: Type.Integer({ minimum: 0, maximum: 23 }),
          end_hour: Type.Integer({ minimum: 1, maximum: 24, description: 'Exclusive.' }),
          weekdays: Type.Optional(
            Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
              minItems: 1,
              maxItems: 7,
              uniqueItems: true,
              description: 'ISO weekdays, 1 = Monday; every day by default.',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'What a key may spend: per movement, per day, week and month, to whom and when.',
    examples: [
      {
        limits: [{ currency: 'USD', per_movement_max: '20.00', daily_max: '50.00', approval_above: '15.00' }],
        allowed_destinations: { wallet_ids: ['wal_01jd0w3n3w8m5t5vq6fz1y2k3h'] },
        allowed_hours: { time_zone: 'Europe/Paris', start_hour: 8, end_hour: 20, weekdays: [1, 2, 3, 4, 5] },
      },
    ],
  },
);

export type SpendPolicyValue = Static<typeof SpendPolicy>;
export type SpendLimitValue = Static<typeof SpendLimit>;
