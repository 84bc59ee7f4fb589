import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sequenceEvents } from '../../server/src/events/sequencer.js';
import { systemClock } from '../../server/src/shared/clock.js';
import { type Received, startReceiver } from '../../server/src/test-support/receiver.js';
import { DeliveryRunner } from '../../server/src/webhooks/delivery-runner.js';
import { verifyWebhook, WebhookVerificationError } from '../src/index.js';
import { type LiveServer, startServer } from './server.js';

let server: LiveServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** A delivery the real server signed and sent: its endpoint's secret, and what the receiver got. */
async function deliveredHolderCreated(): Promise<{
  secret: string;
  delivery: Received;
  endpoint_id: string;
}> {
  const receiver = await startReceiver();
  try {
    const purse = server.client();
    const endpoint = await purse.webhook_endpoints.create({
      url: receiver.url,
      enabled_events: ['holder.created'],
    });
    await purse.holders.create({ name: 'Ada' });
    // The worker's two steps, run here: order the event and queue its delivery, then send it.
    await sequenceEvents(server.t.db.pool, 1_000, systemClock.now());
    const runner = new DeliveryRunner({
      pool: server.t.db.pool,
      clock: systemClock,
      config: server.t.config.webhooks,
      log: { error: () => undefined },
    });
    await runner.poll();
    const [delivery] = await receiver.waitFor(1);
    await runner.stop();
    await purse.webhook_endpoints.update(endpoint.id, { disabled: true });
    if (delivery === undefined || endpoint.secret === undefined) throw new Error('no delivery');
    return { secret: endpoint.secret, delivery, endpoint_id: endpoint.id };
  } finally {
    await receiver.close();
  }
}

const thrown = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
};

describe('verifyWebhook', () => {
  it('verifies a delivery the real server signed and returns its event', async () => {
    const { secret, delivery } = await deliveredHolderCreated();
    const event = verifyWebhook(delivery.body, delivery.headers, secret);
    expect(event.type).toBe('holder.created');
    expect(event.id).toBe(delivery.headers['webhook-id']);
    expect(event.data.object.name).toBe('Ada');
    // A fetch Headers works as well as Node's header record, and bytes as well as text.
    const headers = new Headers(delivery.headers as Record<string, string>);
    expect(verifyWebhook(new TextEncoder().encode(delivery.body), headers, secret).id).toBe(event.id);
  });

  it('refuses a changed body, a wrong secret, an old or future timestamp, missing headers', async () => {
    const { secret, delivery } = await deliveredHolderCreated();
    const other_secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const signed_at = new Date(Number(delivery.headers['webhook-timestamp']) * 1000);
    const cases: [string, () => unknown][] = [
      ['body', () => verifyWebhook(delivery.body.replace('Ada', 'Eve'), delivery.headers, secret)],
      ['secret', () => verifyWebhook(delivery.body, delivery.headers, other_secret)],
      [
        'old',
        () =>
          verifyWebhook(delivery.body, delivery.headers, secret, {
            now: new Date(signed_at.getTime() + 301_000),
          }),
      ],
      [
        'future',
        () =>
          verifyWebhook(delivery.body, delivery.headers, secret, {
            now: new Date(signed_at.getTime() - 301_000),
          }),
      ],
      [
        'headers',
        () => verifyWebhook(delivery.body, { ...delivery.headers, 'webhook-signature': undefined }, secret),
      ],
      [
        'timestamp',
        () =>
          verifyWebhook(
            delivery.body,
            {
              ...delivery.headers,
              'webhook-timestamp': String(Number(delivery.headers['webhook-timestamp']) + 1),
            },
            secret,
          ),
      ],
    ];
    for (const [name, attempt] of cases) {
      const error = thrown(attempt);
      expect(error, name).toBeInstanceOf(WebhookVerificationError);
      expect(error, name).toMatchObject({ code: 'webhook_invalid', status: 0 });
    }
    // Within the tolerance it still verifies, and a wider tolerance accepts an older one.
    expect(
      verifyWebhook(delivery.body, delivery.headers, secret, { now: new Date(signed_at.getTime() + 299_000) })
        .object,
    ).toBe('event');
    expect(
      verifyWebhook(delivery.body, delivery.headers, secret, {
        now: new Date(signed_at.getTime() + 600_000),
        tolerance_s: 900,
      }).object,
    ).toBe('event');
  });

  it('accepts any of several signatures (the server signs with both secrets during a rotation) and any of several secrets', async () => {
    const receiver = await startReceiver();
    try {
      const purse = server.client();
      const endpoint = await purse.webhook_endpoints.create({
        url: receiver.url,
        enabled_events: ['holder.created'],
      });
      const rotated = await purse.webhook_endpoints.rotateSecret(endpoint.id, { grace_period_s: 3600 });
      await purse.holders.create({ name: 'Grace' });
      await sequenceEvents(server.t.db.pool, 1_000, systemClock.now());
      const runner = new DeliveryRunner({
        pool: server.t.db.pool,
        clock: systemClock,
        config: server.t.config.webhooks,
        log: { error: () => undefined },
      });
      await runner.poll();
      const [delivery] = await receiver.waitFor(1);
      await runner.stop();
      if (delivery === undefined || endpoint.secret === undefined || rotated.secret === undefined)
        throw new Error('no delivery');
      expect(String(delivery.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(verifyWebhook(delivery.body, delivery.headers, endpoint.secret).type).toBe('holder.created');
      expect(verifyWebhook(delivery.body, delivery.headers, rotated.secret).type).toBe('holder.created');
      const unrelated = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
      expect(verifyWebhook(delivery.body, delivery.headers, [unrelated, rotated.secret]).type).toBe(
        'holder.created',
      );
    } finally {
      await receiver.close();
    }
  });
});
