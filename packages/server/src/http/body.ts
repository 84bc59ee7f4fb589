import type { FastifyInstance } from 'fastify';

/**
 * JSON bodies use Fastify's parser (which refuses `__proto__` pollution), except that an empty body
 * counts as no body: SDKs commonly send `Content-Type: application/json` on bodiless POSTs such as
 * `/revoke`, and those should not fail as malformed JSON. Any other media type is refused (415).
 */
export function registerJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.toString().trim() === '') {
      done(null, undefined);
      return;
    }
    void parse(request, body as string, done);
  });
  // A bodiless POST (no Content-Type at all) validates as an empty object, like `{}`.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.body === undefined) request.body = {};
  });
}
