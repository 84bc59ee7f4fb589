import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticatorCode } from '../challenges/codes.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { test_kek_text } from '../test-support/kek.js';
import { fund, newWallet } from '../test-support/money.js';
import { type PurseProcess, runPurse } from '../test-support/process.js';
import { startReceiver, verifiesWith } from '../test-support/receiver.js';
import { startSequencer } from '../test-support/sequencer.js';
import type { Worker } from '../worker/scheduler.js';
import { createClient } from './api-client.js';
import { recipes, trigger_types } from './trigger.js';

let t: TestApp;
let base: string;
let worker: Worker;
let dir: string;
beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  // The event stream follows sequenced events: run the sequencer as `purse serve` would.
  worker = startSequencer(t);
  dir = await mkdtemp(path.join(tmpdir(), 'purse-cli-'));
});
afterAll(async () => {
  await worker.stop();
  t.app.server.closeAllConnections();
  await rm(dir, { recursive: true, force: true });
  await t.close();
});

const api = () => ({ PURSE_URL: base, PURSE_API_KEY: t.test_key });

/** Runs `purse ...` to its end: exit code, stdout alone, and stdout with stderr. */
async function purse(args: string[], env: Record<string, string>) {
  const run = runPurse(args, env);
  let stdout = '';
  run.child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  // 'close', not 'exit': the process can end before its last output has been read.
  await new Promise((resolve) => run.child.once('close', resolve));
  return { code: await run.exited, stdout, output: run.output() };
}

describe('--json and exit codes', () => {
  it('prints one JSON document on stdout: a result (0), a refused request (1), a usage error (2)', async () => {
    const listed = await purse(['keys', 'list', '--json'], { DATABASE_URL: t.db.url });
    expect(listed.code, listed.output).toBe(0);
    // The test-mode keys: the test app's admin key.
    expect(JSON.parse(listed.stdout)).toHaveLength(1);

    const verified = await purse(['verify', '--json'], { DATABASE_URL: t.db.url });
    expect(verified.code, verified.output).toBe(0);
    // Since issue 21 the result also names the checkpoint it recorded.
    expect(JSON.parse(verified.stdout)).toMatchObject({
      ok: true,
      violations: [],
      checkpoint: { full_check: true },
    });
    expect(verified.output).not.toContain('verify [');

    const refused = await purse(['trigger', 'holder.created', '--json'], {
      PURSE_URL: base,
      PURSE_API_KEY: 'sk_test_not_a_key_of_this_server_00000000',
    });
    expect(refused.code, refused.output).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ code: 'invalid_api_key', status: 401 });

    const usage = await purse(['trigger', 'no.such_event', '--json'], api());
    expect(usage.code, usage.output).toBe(2);
    expect(JSON.parse(usage.stdout)).toMatchObject({ code: 'usage_error' });
    expect(usage.stdout).toContain('payment.succeeded');

    const bad_pattern = await purse(
      ['listen', '--forward-to', base, '--events', 'payment.*,paymnet.failed'],
      api(),
    );
    expect(bad_pattern.code).toBe(2);
    expect(bad_pattern.output).toContain('"paymnet.failed" selects no event type');

    const bad_flag = await purse(['keys', 'list', '--no-such-flag', '--json'], { DATABASE_URL: t.db.url });
    expect(bad_flag.code).toBe(2);
    expect(JSON.parse(bad_flag.stdout)).toMatchObject({ code: 'usage_error' });
  }, 120_000);

  it('without --json, says what went wrong on stderr and nothing on stdout', async () => {
    const refused = await purse(['trigger', 'holder.created'], {
      PURSE_URL: base,
      PURSE_API_KEY: 'sk_test_nope',
    });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.output).toMatch(/purse: invalid_api_key/);
  }, 60_000);
});

describe('purse operators', () => {
  it('creates the first administrator, who signs in with the printed password and authenticator', async () => {
    const env = { DATABASE_URL: t.db.url };
    const made = await purse(['operators', 'create', '--email', 'First@Ops.example.com', '--json'], env);
    expect(made.code, made.output).toBe(0);
    const operator = JSON.parse(made.stdout);
    expect(operator).toMatchObject({ object: 'operator', role: 'admin', email: 'first@ops.example.com' });
    const code = authenticatorCode(operator.totp_secret, t.clock.now());
    const signed = await fetch(`${base}/dashboard/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'first@ops.example.com', password: operator.password, code }),
    });
    expect(signed.status).toBe(200);
    const again = await purse(['operators', 'create', '--email', 'first@ops.example.com', '--json'], env);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ code: 'operator_exists' });
    const bad_role = await purse(
      ['operators', 'create', '--email', 'x@y.z', '--role', 'root', '--json'],
      env,
    );
    expect(bad_role.code).toBe(2);
    const disabled = await purse(['operators', 'disable', operator.id, '--json'], env);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ disabled: true });
    const audited = await t.db.pool.query(
      "SELECT action FROM audit_logs WHERE actor = 'cli' AND object_id = $1",
      [operator.id],
    );
    expect(audited.rows.map((row) => row.action).sort()).toEqual(['operators.create', 'operators.disable']);
  }, 60_000);
});

describe('progress bars', () => {
  // `script` (util-linux) gives the command a terminal; its stdout and stderr both land in it.
  it.skipIf(process.platform !== 'linux')(
    'are drawn on a terminal',
    async () => {
      // Postings for `--full` to count: the bar counts postings and shows their rate.
      await fund(t, await newWallet(t), '10.00');
      const command = `${process.execPath} --import tsx src/main.ts verify --full`;
      const run = spawn('script', ['-qec', command, '/dev/null'], {
        cwd: path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..'),
        // verify signs its checkpoint with a key derived from the KEK.
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          DATABASE_URL: t.db.url,
          PURSE_KEK: test_kek_text,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let output = '';
      run.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const code = await new Promise((resolve) => run.on('close', resolve));
      expect(code, output).toBe(0);
      expect(output).toMatch(/verify \[[^\]]*\] (\d+)\/\1 postings, \d+ postings\/s/);
      expect(output).toContain('every invariant holds');
    },
    60_000,
  );
});

describe('purse trigger', () => {
  it('makes the objects behind each event type it knows, and the event follows', async () => {
    const client = createClient(base, t.test_key);
    for (const type of trigger_types) {
      const made = await (recipes[type] as (typeof recipes)[string])(client);
      const subject = made[made.length - 1];
      const events = await client.get<{ data: { type: string }[] }>(
        `/v1/events?type=${type}&object_id=${subject?.id}`,
      );
      expect(
        events.data.map((event) => event.type),
        type,
      ).toContain(type);
    }
  }, 120_000);

  it('billing: a subscription paid from a funded wallet, or incomplete with its invoice open on an empty one', async () => {
    const client = createClient(base, t.test_key);
    const run = (type: string) => (recipes[type] as (typeof recipes)[string])(client);
    const objects = (made: { object: string }[]) => made.map((object) => object.object);
    const subscribed = await run('customer.subscription.created');
    expect(objects(subscribed)).toEqual(['product', 'price', 'holder', 'wallet', 'payment', 'subscription']);
    expect(subscribed.at(-1)).toMatchObject({ status: 'active' });
    const paid = await run('invoice.paid');
    expect(paid.at(-1)).toMatchObject({ object: 'invoice', status: 'paid', total: '10.00' });
    const failed = await run('invoice.payment_failed');
    expect(objects(failed)).toEqual(['product', 'price', 'holder', 'wallet', 'subscription', 'invoice']);
    expect(failed.at(-2)).toMatchObject({ status: 'incomplete' });
    expect(failed.at(-1)).toMatchObject({ status: 'open', last_failure_code: 'insufficient_funds' });
  }, 60_000);

  it('as a command, prints the event it produced', async () => {
    const run = await purse(['trigger', 'transfer.captured', '--json'], api());
    expect(run.code, run.output).toBe(0);
    const result = JSON.parse(run.stdout) as { event_id: string; objects: { object: string }[] };
    const event = await t.request({ method: 'GET', url: `/v1/events/${result.event_id}` });
    expect(event.json()).toMatchObject({ type: 'transfer.captured' });
    expect(result.objects.map((object) => object.object)).toContain('transfer');
  }, 60_000);
});

describe('purse import', () => {
  const csv = [
    'Id,Name,Email,Currency,Balance',
    'u1,Ada Lovelace,ada@example.com,USD,120.50',
    'u2,Grace Hopper,grace@example.com,EUR,0',
    'u3,Bad Amount,bad@example.com,USD,12.345',
    'u4,Nowhere,n@example.com,XXQ,1.00',
    'u1,Ada Again,ada2@example.com,USD,5.00',
    'u5,Alan Turing,,JPY,1000',
    'u6,,blank@example.com,USD,1.00',
  ].join('\n');
  const map = 'name=Name,email=Email,external_id=Id,currency=Currency,opening_balance=Balance';

  it('creates holders and funded wallets, reports each rejected row by line, and writes nothing twice when run again', async () => {
    const file = path.join(dir, 'wallets.csv');
    await writeFile(file, csv);
    const first = await purse(['import', file, '--map', map, '--json', '--batch-size', '2'], api());
    expect(first.code, first.output).toBe(1);
    const report = JSON.parse(first.stdout) as {
      rows: number;
      imported: number;
      rejected: { line: number; code: string; reason: string }[];
      wallets: { line: number; wallet_id: string }[];
    };
    expect(report.rows).toBe(7);
    expect(report.imported).toBe(3);
    expect(report.rejected.map(({ line, code }) => [line, code])).toEqual([
      [4, 'invalid_row'],
      [5, 'invalid_row'],
      [6, 'duplicate_row'],
      [8, 'invalid_row'],
    ]);
    expect(report.rejected[0]?.reason).toMatch(/decimal places/);
    expect(report.rejected[1]?.reason).toMatch(/unknown currency "XXQ"/);
    expect(report.rejected[2]?.reason).toBe('duplicates line 2');
    const ada = report.wallets.find((wallet) => wallet.line === 2);
    const wallet = await t.request({ method: 'GET', url: `/v1/wallets/${ada?.wallet_id}` });
    expect(wallet.json().balance).toMatchObject({ available: '120.50' });

    const counts = async () =>
      (
        await t.db.pool.query<{ holders: string; wallets: string; transfers: string }>(
          `SELECT (SELECT count(*) FROM holders) AS holders, (SELECT count(*) FROM accounts WHERE kind = 'wallet') AS wallets,
                  (SELECT count(*) FROM transfers) AS transfers`,
        )
      ).rows[0];
    const before = await counts();
    const second = await purse(['import', file, '--map', map, '--json'], api());
    expect(second.code, second.output).toBe(1);
    expect(JSON.parse(second.stdout)).toMatchObject({ imported: 3, rejected: report.rejected });
    expect(await counts()).toEqual(before);
    const again = await t.request({ method: 'GET', url: `/v1/wallets/${ada?.wallet_id}` });
    expect(again.json().balance).toMatchObject({ available: '120.50' });
  }, 120_000);

  it('refuses a --map that names a column the file lacks, as a usage error', async () => {
    const file = path.join(dir, 'small.csv');
    await writeFile(file, 'Name,Currency\nAda,USD\n');
    const run = await purse(['import', file, '--map', 'name=Name,currency=Cur'], api());
    expect(run.code).toBe(2);
    expect(run.output).toContain('column "Cur"');
  }, 60_000);
});

describe('purse listen', () => {
  let listener: PurseProcess | undefined;
  afterAll(async () => {
    listener?.child.kill('SIGTERM');
    await listener?.exited;
  });

  it('forwards each event signed as a webhook, and resumes after the stream drops', async () => {
    const receiver = await startReceiver();
    try {
      listener = runPurse(
        ['listen', '--forward-to', receiver.url, '--events', 'holder.created', '--json'],
        api(),
      );
      const [, secret] = await listener.waitForOutput(/"secret":"(whsec_[^"]+)"/);
      // Give the stream a moment to open: it starts with events committed from then on.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const first = await t.request({ method: 'POST', url: '/v1/holders', payload: { name: 'Listened' } });
      await t.request({ method: 'POST', url: '/v1/wallets', payload: { currency: 'USD' } });
      const [delivery] = await receiver.waitFor(1, 30_000);
      expect(verifiesWith(secret as string, delivery as never)).toBe(true);
      const event = JSON.parse(delivery?.body ?? '{}') as {
        id: string;
        type: string;
        data: { object: { id: string } };
      };
      expect(event).toMatchObject({ type: 'holder.created', data: { object: { id: first.json().id } } });
      expect(delivery?.headers['webhook-id']).toBe(event.id);
      await listener.waitForOutput(
        new RegExp(`"event_id":"${event.id}","type":"holder.created","status":"200"`),
      );

      // Drop every connection (the stream's too); an event made meanwhile is still forwarded, once.
      t.app.server.closeAllConnections();
      const second = await t.request({
        method: 'POST',
        url: '/v1/holders',
        payload: { name: 'After the drop' },
      });
      const deliveries = await receiver.waitFor(2, 30_000);
      expect(JSON.parse(deliveries[1]?.body ?? '{}')).toMatchObject({
        data: { object: { id: second.json().id } },
      });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(receiver.received).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  }, 120_000);
});
