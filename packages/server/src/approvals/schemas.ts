import { Type } from '@sinclair/typebox';
import { PageQuerystring, Timestamp } from '../http/schemas.js';

const Status = Type.Union(
  [Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('expired')],
  {
    description:
      'pending: waiting for a decision. approved: executed once; `result` holds what the request answered. rejected or expired: never executed.',
  },
);

export const Approval = Type.Object(
  {
    id: Type.String({ examples: ['apr_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('approval'),
    livemode: Type.Boolean(),
    status: Status,
    reason: Type.Union(
      [Type.Literal('spend_policy'), Type.Literal('risk_review'), Type.Literal('four_eyes')],
      {
        description:
          "spend_policy: above the key's approval_above. risk_review: a risk rule with action review matched. four_eyes: a large refund an operator asked for.",
      },
    ),
    detail: Type.String({ examples: ["40.00 USD is above the key's approval_above of 30.00."] }),
    risk_rule_id: Type.Union([Type.String(), Type.Null()]),
    api_key_id: Type.String({
      description: 'The key (or operator, op_…) that made the request; it runs on its behalf.',
    }),
    request: Type.Object({
      method: Type.String({ examples: ['POST'] }),
      path: Type.String({ examples: ['/v1/transfers'] }),
      body: Type.Unknown(),
      request_id: Type.String(),
    }),
    amount: Type.String({ examples: ['40.00'] }),
    currency: Type.String({ examples: ['USD'] }),
    expires_at: Timestamp,
    decided_at: Type.Union([Timestamp, Type.Null()]),
    decided_by: Type.Union([Type.String(), Type.Null()], {
      description: 'The deciding key or operator, or system:worker.',
    }),
    signoffs: Type.Array(Type.Object({ operator_id: Type.String(), created_at: Timestamp }), {
      description:
        "Four-eyes: operators who approved. An operator's approval executes the request once two distinct operators have said yes (the operator who asked counts as one).",
    }),
    result: Type.Union([Type.Object({ status: Type.Integer(), body: Type.Unknown() }), Type.Null()]),
    created_at: Timestamp,
  },
  { $id: 'Approval' },
);

export const ApprovalListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    status: Type.Optional(Status),
    api_key_id: Type.Optional(Type.String({ maxLength: 64 })),
  }),
]);
