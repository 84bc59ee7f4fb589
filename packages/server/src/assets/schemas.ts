import { Type } from '@sinclair/typebox';
import { defaultLimits } from '../config.js';
import { Timestamp } from '../http/schemas.js';

export const asset_code_pattern = '^[A-Z][A-Z0-9_]{1,15}$';

export const Asset = Type.Object(
  {
    id: Type.String({ description: 'The asset code.', examples: ['USD'] }),
    object: Type.Literal('asset'),
    livemode: Type.Boolean(),
    code: Type.String({ examples: ['USD'] }),
    scale: Type.Integer({
      description: 'Digits after the decimal point; amounts are whole multiples of 10^-scale.',
      examples: [2],
    }),
    name: Type.String({ examples: ['US Dollar'] }),
    custom: Type.Boolean({ description: 'true for assets added through the API.' }),
    created_at: Timestamp,
  },
  { $id: 'Asset' },
);

export const CreateAssetBody = Type.Object(
  {
    code: Type.String({
      pattern: asset_code_pattern,
      description: 'Upper-case letters, digits and _, 2 to 16 characters.',
    }),
    scale: Type.Integer({ minimum: 0, maximum: 18 }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: false, examples: [{ code: 'GEMS', scale: 0, name: 'Gems' }] },
);

export const AssetListQuery = Type.Object({
  limit: Type.Integer({
    minimum: 1,
    maximum: defaultLimits.page_size_max,
    default: defaultLimits.page_size_max,
  }),
  starting_after: Type.Optional(
    Type.String({ pattern: asset_code_pattern, description: 'Code of the last asset of the previous page.' }),
  ),
});

export const AssetParams = Type.Object({ code: Type.String({ pattern: asset_code_pattern }) });
