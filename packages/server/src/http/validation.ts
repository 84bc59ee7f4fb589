import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { findTextFault } from '../shared/text.js';
import { parseTimestamp } from '../shared/time.js';

/**
 * Two validators. Bodies are validated strictly: no type coercion (a JSON number is never silently
 * turned into an amount string) and no removal of unknown fields (they are refused). Query strings
 * and path parameters arrive as text, so there `limit=10` is coerced to an integer. Both refuse,
 * in every part of every request, text PostgreSQL cannot store (see shared/text.ts), and both
 * read `date-time` as the timestamps Purse accepts (see shared/time.ts).
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
  app.setValidatorCompiler(({ schema, httpPart }) =>
    withTextCheck((httpPart === 'body' ? body : text).compile(schema)),
  );
}

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = formats as unknown as (ajv: Ajv) => Ajv;

function withFormats(ajv: Ajv): Ajv {
  addFormats(ajv);
  // Replaces ajv-formats' date-time, which accepts leap seconds and years JavaScript and
  // PostgreSQL disagree on; http/errors.ts words its failure.
  ajv.addFormat('date-time', { type: 'string', validate: (text) => parseTimestamp(text) !== undefined });
  return ajv;
}

/**
 * Runs the schema's validator, then refuses NUL characters and unpaired surrogates anywhere in the
 * value (unknown fields included), reported like a schema error so the problem names the field.
 */
function withTextCheck(validate: ValidateFunction): ValidateFunction {
  const checked = ((data: unknown, context?: Parameters<ValidateFunction>[1]) => {
    const valid = validate(data, context);
    checked.errors = validate.errors ?? null;
    if (!valid) return false;
    const fault = findTextFault(data);
    if (fault === undefined) return true;
    checked.errors = [textIssue(fault.path, fault.message)];
    return false;
  }) as ValidateFunction;
  // Fastify passes the parent object only to validators that carry their schema environment.
  Object.assign(checked, { schema: validate.schema, schemaEnv: validate.schemaEnv });
  return checked;
}

function textIssue(path: readonly string[], message: string): ErrorObject {
  const pointer = path.map((part) => `/${part.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
  return { instancePath: pointer, schemaPath: '#', keyword: 'text', params: {}, message };
}
