import { Ajv, type Options } from 'ajv';
import formats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/**
 * Two validators. Bodies are validated strictly: no type coercion (a JSON number is never silently
 * turned into an amount string) and no removal of unknown fields (they are refused). Query strings
 * and path parameters arrive as text, so there `limit=10` is coerced to an integer.
 */
export function registerValidation(app: FastifyInstance): void {
  // verbose: errors carry their schema, so a field can name the error code it maps to (x-purse-code).
  const common: Options = {
    allErrors: false,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
    verbose: true,
  };
  const body = withFormats(new Ajv({ ...common, coerceTypes: false }));
  const text = withFormats(new Ajv({ ...common, coerceTypes: 'array' }));
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema));
}

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = formats as unknown as (ajv: Ajv) => Ajv;

function withFormats(ajv: Ajv): Ajv {
  addFormats(ajv);
  return ajv;
}
