import type { FastifyInstance } from 'fastify';

/**
 * Graceful close. Fastify stops accepting and closes idle keep-alive connections when close()
 * starts, but a connection busy at that moment would otherwise stay open after its response until
 * the keep-alive timeout, holding the shutdown up. Once closing, every response says
 * `Connection: close`, so each client connection ends right after its in-flight request.
 */
export function registerGracefulClose(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
}
