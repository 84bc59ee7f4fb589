/**
 * The HTTP ceiling of this machine, measured in the same run: a bare Fastify server answering a
 * POST whose JSON body it validates against a schema shaped like a transfer, with no database and
 * no authentication. Started as its own process by reference-http.ts, on PORT.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const body = {
  type: 'object',
  required: ['source_wallet_id', 'destination_wallet_id', 'amount', 'currency'],
  additionalProperties: false,
  properties: {
    source_wallet_id: { type: 'string', maxLength: 64 },
    destination_wallet_id: { type: 'string', maxLength: 64 },
    amount: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' },
    currency: { type: 'string', maxLength: 12 },
  },
};
let next_id = 0;
app.post('/v1/transfers', { schema: { body } }, async (request, reply) => {
  next_id += 1;
  return reply.code(201).send({ id: `tr_${next_id}`, object: 'transfer', ...(request.body as object) });
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
