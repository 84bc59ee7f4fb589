import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../shared/ports.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, expectProblem, fund, newWallet, post, transfer } from '../test-support/money.js';
import { sendDueCodes, smtpTransport } from './email.js';

// Codes by email, through nodemailer to a real SMTP server listening on this machine.
interface Mail {
  readonly to: string;
  readonly text: string;
}

let t: TestApp;
let server: SMTPServer;
let port: number;
const inbox: Mail[] = [];

function startSmtp(): Promise<void> {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('bounce@')) callback(new Error('550 no such mailbox'));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address).join(',');
        inbox.push({ to, text: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
}

beforeAll(async () => {
  port = await freePort();
  await startSmtp();
  t = await createTestApp(
    {},
    {},
    {},
    {},
    {
      challenges: {
        smtp: { url: `smtp://127.0.0.1:${port}`, from: 'Purse <codes@purse.test>' },
        smtp_timeout_ms: 2_000,
      },
    },
  );
  const rule = await post(t, '/v1/risk_rules', {
    name: 'Step up above 500',
    type: 'amount_above',
    action: 'challenge',
    currency: 'USD',
    amount: '500.00',
  });
  expect(rule.statusCode, rule.body).toBe(201);
});
afterAll(async () => {
  await t.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const transport = () => {
  const made = smtpTransport(t.config.challenges);
  if (made === undefined) throw new Error('the test app has an SMTP server');
  return made;
};

function send(): Promise<number> {
  return sendDueCodes(t.db.pool, t.config.challenges, transport(), t.clock.now(), 20);
}

function codeIn(mail: Mail | undefined): string {
  const found = /confirmation code is (\d{6})/.exec(mail?.text ?? '');
  if (found?.[1] === undefined) throw new Error(`no code in ${mail?.text}`);
  return found[1];
}

describe('codes by email', () => {
  it('go to the holder once, after the challenge commits; the emailed code confirms the payment', async () => {
    const holder = await post(t, '/v1/holders', { name: 'Mail Holder', email: 'mail.holder@example.com' });
    const wallet = await newWallet(t, 'USD', { holder_id: holder.json().id });
    await fund(t, wallet, '500.00');
    await fund(t, wallet, '500.00');
    const response = await transfer(t, {
      source_wallet_id: wallet,
      destination_wallet_id: await newWallet(t),
      amount: '700.00',
    });
    expect(response.json()).toMatchObject({ status: 'requires_action', channel: 'email' });
    const id = response.json().id;
    inbox.length = 0;
    expect(await send()).toBe(1);
    expect(await send()).toBe(0);
    expect(inbox).toHaveLength(1);
    expect(inbox[0]?.to).toBe('mail.holder@example.com');
    const first = codeIn(inbox[0]);
    // A resend mails a new code; the first stops working.
    await post(t, `/v1/challenges/${id}/resend`, {});
    expect(await send()).toBe(1);
    const second = codeIn(inbox[1]);
    const confirm = (code: string) => post(t, `/v1/challenges/${id}/confirm`, { code });
    if (first !== second) expectProblem(await confirm(first), 400, 'challenge_code_invalid', 'code');
    expect((await confirm(second)).json().status).toBe('succeeded');
    expect((await balanceOf(t, wallet)).available).toBe('300.00');
  });

  it('wait for a down SMTP server and go out once it is back', async () => {
    const holder = await post(t, '/v1/holders', { name: 'Patient', email: 'patient@example.com' });
    const wallet = await newWallet(t, 'USD', { holder_id: holder.json().id });
    await fund(t, wallet, '500.00');
    await fund(t, wallet, '500.00');
    const response = await transfer(t, {
      source_wallet_id: wallet,
      destination_wallet_id: await newWallet(t),
      amount: '600.00',
    });
    expect(response.statusCode).toBe(202);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    inbox.length = 0;
    await expect(send()).rejects.toThrow();
    await startSmtp();
    // The failed send waits a second before the next try.
    expect(await send()).toBe(0);
    t.clock.advance(1_000);
    expect(await send()).toBe(1);
    expect(inbox.map((mail) => mail.to)).toEqual(['patient@example.com']);
  });

  it('keep sending to others while one address is refused, and keep the address out of the error', async () => {
    const challengeFor = async (email: string) => {
      const holder = await post(t, '/v1/holders', { name: 'Mail', email });
      const wallet = await newWallet(t, 'USD', { holder_id: holder.json().id });
      await fund(t, wallet, '500.00');
      await fund(t, wallet, '500.00');
      return transfer(t, {
        source_wallet_id: wallet,
        destination_wallet_id: await newWallet(t),
        amount: '600.00',
      });
    };
    const bounced = await challengeFor('bounce@example.com');
    const fine = await challengeFor('fine@example.com');
    expect([bounced.statusCode, fine.statusCode]).toEqual([202, 202]);
    inbox.length = 0;
    const error = await send().then(
      () => undefined,
      (failure: Error) => failure,
    );
    expect(error?.message).toContain(bounced.json().id);
    expect(error?.message).not.toContain('bounce@');
    expect(inbox.map((mail) => mail.to)).toEqual(['fine@example.com']);
    expect(inbox[0]?.text).toContain('to confirm a payment of 600.00 USD');
  });
});
