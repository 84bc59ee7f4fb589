import { Type } from '@sinclair/typebox';
import { Amount, Currency } from '../http/money-schemas.js';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';

const RuleType = Type.Union(
  [
    Type.Literal('amount_above'),
    Type.Literal('velocity'),
    Type.Literal('new_wallet'),
    Type.Literal('kyc_tier'),
  ],
  {
    description:
      'amount_above: one movement above `amount`. velocity: more than `count_max` movements or `amount_max` moved by one `subject` within `window_s`. new_wallet: a wallet younger than `wallet_age_s` sending more than `amount_max` in all. kyc_tier: holders at `kyc_tier` above `balance_max` (what a wallet holds), `daily_outflow_max` or `monthly_outflow_max` (what the holder sends, per UTC day or month), `daily_inflow_max` or `monthly_inflow_max` (what the holder receives: transfers, pay-ins and deposits alike).',
  },
);
const Action = Type.Union(
  [Type.Literal('block'), Type.Literal('review'), Type.Literal('challenge'), Type.Literal('flag')],
  {
    description:
      "block: refused with 403 risk_blocked. review: parked as an approval until an operator decides. challenge: the wallet's holder confirms it with a one-time code (202 with a challenge in status requires_action; see POST /v1/challenges/:id/confirm). flag: allowed, and recorded as a risk decision.",
  },
);
const Subject = Type.Union([Type.Literal('wallet'), Type.Literal('holder'), Type.Literal('api_key')], {
  description: 'Whose movements a velocity rule counts: the paying wallet, its holder, or the API key.',
});
/** The longest window a rule may look back over (a year): movement_log keeps no more (movement-retention.ts). */
export const rule_window_s_max = 31_536_000;
const Seconds = Type.Integer({ minimum: 1, maximum: rule_window_s_max });

const rule_fields = {
  amount: Type.Optional(Amount),
  subject: Type.Optional(Subject),
  window_s: Type.Optional(Seconds),
  count_max: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  amount_max: Type.Optional(Amount),
  wallet_age_s: Type.Optional(Seconds),
  kyc_tier: Type.Optional(Type.Integer({ minimum: 0, maximum: 9 })),
  balance_max: Type.Optional(Amount),
  daily_outflow_max: Type.Optional(Amount),
  monthly_outflow_max: Type.Optional(Amount),
  daily_inflow_max: Type.Optional(Amount),
  monthly_inflow_max: Type.Optional(Amount),
};

export const CreateRiskRuleBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    type: RuleType,
    action: Action,
    currency: Currency,
    ...rule_fields,
    enabled: Type.Optional(Type.Boolean({ default: true })),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      {
        name: 'Large transfers need a look',
        type: 'amount_above',
        action: 'review',
        currency: 'USD',
        amount: '1000.00',
      },
      {
        name: 'Card testing',
        type: 'velocity',
        action: 'block',
        currency: 'USD',
        subject: 'wallet',
        window_s: 60,
        count_max: 10,
      },
    ],
  },
);

export const UpdateRiskRuleBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    action: Type.Optional(Action),
    enabled: Type.Optional(Type.Boolean()),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, examples: [{ enabled: false }] },
);

export const RiskRule = Type.Object(
  {
    id: Type.String({ examples: ['rr_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('risk_rule'),
    livemode: Type.Boolean(),
    name: Type.String(),
    type: RuleType,
    action: Action,
    currency: Type.String(),
    amount: Type.Optional(Type.String()),
    subject: Type.Optional(Subject),
    window_s: Type.Optional(Type.Integer()),
    count_max: Type.Optional(Type.Integer()),
    amount_max: Type.Optional(Type.String()),
    wallet_age_s: Type.Optional(Type.Integer()),
    kyc_tier: Type.Optional(Type.Integer()),
    balance_max: Type.Optional(Type.String()),
    daily_outflow_max: Type.Optional(Type.String()),
    enabled: Type.Boolean(),
    metadata: Type.Record(Type.String(), Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'RiskRule' },
);

export const RiskDecision = Type.Object(
  {
    id: Type.String({ examples: ['rd_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('risk_decision'),
    livemode: Type.Boolean(),
    rule_id: Type.String(),
    action: Action,
    object_id: Type.Union([Type.String(), Type.Null()], {
      description:
        'What the movement made (transfer, payout, ...), the approval a review parked, or null when blocked.',
    }),
    api_key_id: Type.String(),
    request_id: Type.String(),
    wallet_id: Type.String(),
    detail: Type.String(),
    created_at: Timestamp,
  },
  { $id: 'RiskDecision' },
);

export const RiskRuleListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({ enabled: Type.Optional(Type.Boolean()) }),
]);

export const RiskDecisionListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    rule_id: Type.Optional(Type.String({ maxLength: 64 })),
    object_id: Type.Optional(Type.String({ maxLength: 64 })),
    action: Type.Optional(Action),
  }),
]);
