import { Type } from '@sinclair/typebox';

/** Request shapes of what a rail carries money from and to. */

export const CardNumber = Type.String({
  pattern: '^[0-9]{12,19}$',
  description: 'In test mode a sandbox card: 4242424242424242 succeeds, 4000000000000002 is declined.',
  examples: ['4242424242424242'],
});

const AccountNumber = Type.String({
  pattern: '^[0-9]{4,17}$',
  description: 'In test mode, 000123456789 succeeds; see docs/rails.md for the failing numbers.',
  examples: ['000123456789'],
});
const RoutingNumber = Type.String({ pattern: '^[0-9]{9}$', examples: ['110000000'] });
const Network = Type.String({
  pattern: '^[a-z][a-z0-9_]{1,31}$',
  description: 'bitcoin (BTC) or ethereum (ETH, USDC) in the sandbox.',
  examples: ['ethereum'],
});

export const PaymentSourceSchema = Type.Union([
  Type.Object(
    {
      type: Type.Literal('card'),
      number: CardNumber,
      exp_month: Type.Optional(Type.Integer({ minimum: 1, maximum: 12 })),
      exp_year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })),
      cvc: Type.Optional(Type.String({ pattern: '^[0-9]{3,4}$' })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('bank_account'),
      account_number: AccountNumber,
      routing_number: RoutingNumber,
      account_holder_name: Type.Optional(Type.String({ minLength: 1, maxLength: 140 })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('crypto'),
      network: Network,
      tx_hash: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z]{8,128}$' })),
    },
    { additionalProperties: false },
  ),
]);

export const PayoutDestinationSchema = Type.Union([
  Type.Object(
    {
      type: Type.Literal('bank_account'),
      account_holder_name: Type.String({ minLength: 1, maxLength: 70, examples: ['Ada Lovelace'] }),
      account_number: Type.Optional(AccountNumber),
      routing_number: Type.Optional(RoutingNumber),
      iban: Type.Optional(
        Type.String({ pattern: '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$', examples: ['DE89370400440532013000'] }),
      ),
      bic: Type.Optional(
        Type.String({ pattern: '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$', examples: ['COBADEFFXXX'] }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('card'), number: CardNumber }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('crypto'),
      network: Network,
      address: Type.String({
        pattern: '^[0-9A-Za-z]{20,128}$',
        examples: ['0x52908400098527886e0f7030069857d2e4169ee7'],
      }),
    },
    { additionalProperties: false },
  ),
]);

/** What the API shows of a source or destination: never a full card or account number. */
export const MaskedInstrument = Type.Record(Type.String(), Type.String(), {
  description:
    'A card or bank account shows its last four digits and `token` (tok_), which stands for the number kept encrypted; a crypto source or destination its network and address.',
  examples: [{ type: 'card', brand: 'visa', last4: '4242', token: 'tok_01m7yy9v1wq0vf87gxe71jyfcv' }],
});
