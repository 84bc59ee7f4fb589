import type { FastifyInstance } from 'fastify';

/**
 * JSON bodies use Fastify's parser (which refuses `__proto__` pollution), except that an empty body
 * counts as no body: SDKs commonly send `Content-Type: application/json` on bodiless POSTs such as
 * `/revoke`, and those should not fail as malformed JSON.
 */
export function registerJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.toString().trim() === '') {
      done(null, undefined);
      return;
    }
    parse(request, body as string, done);
  });
}
