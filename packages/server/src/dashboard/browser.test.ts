import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as OTPAuth from 'otpauth';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sequenceEvents } from '../events/sequencer.js';
import type { OperatorRole } from '../operators/roles.js';
import { createOperator } from '../operators/service.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { fund, newWallet } from '../test-support/money.js';
import { type Receiver, startReceiver } from '../test-support/receiver.js';
import { DeliveryRunner } from '../webhooks/delivery-runner.js';

/**
 * The dashboard in a real Chromium (Debian's `chromium`, driven by playwright-core) against a real
 * server on a real port: operators sign in with password and TOTP and do what the issue lists.
 * Without Chromium the file is skipped with a message; .ci/run installs it.
 * PURSE_SCREENSHOTS=1 writes the main pages to docs/screenshots/ (npm run screenshots).
 */
const chromium_path = process.env.PURSE_CHROMIUM_PATH ?? '/usr/bin/chromium';
const has_chromium = existsSync(chromium_path);
// CI installs Chromium (.ci/run): there, a missing browser is a failure, not a skip.
if (!has_chromium && process.env.CI === 'true') throw new Error(`CI needs Chromium at ${chromium_path}`);
if (!has_chromium)
  console.warn(
    `dashboard browser tests skipped: no Chromium at ${chromium_path} (apt-get install -y chromium, or set PURSE_CHROMIUM_PATH)`,
  );
const screenshots = process.env.PURSE_SCREENSHOTS === '1';
const repository = fileURLToPath(new URL('../../../../', import.meta.url));
const screenshot_dir = path.join(repository, 'docs', 'screenshots');
const axe_source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const viewport = { width: 1366, height: 768 };
/**
 * Waits long enough for a machine busy with the rest of the suite (CI runs every file at once on
 * two cores); a passing wait returns as soon as it passes.
 */
const patient = { timeout: 20_000 };

/** What the test reads of a canvas element in the page. */
interface Canvas {
  readonly width: number;
  readonly height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

interface SignedOperator {
  readonly email: string;
  readonly password: string;
  readonly secret: string;
}

describe.skipIf(!has_chromium)('the dashboard in a real Chromium', { timeout: 120_000 }, () => {
  let t: TestApp;
  let base = '';
  let build_dir = '';
  let browser: Browser;
  let receiver: Receiver;
  const contexts: BrowserContext[] = [];
  const csp_violations: string[] = [];
  let operator_count = 0;

  // What the test's own API calls set up, through the admin key.
  let holder_email = '';
  let holder_id = '';
  let wallet_id = '';
  let vendor_id = '';
  let payment_id = '';
  let approval_id = '';
  let endpoint_id = '';

  beforeAll(async () => {
    // The dashboard as `npm run build` makes it, into a folder of this run's own.
    build_dir = await mkdtemp(path.join(tmpdir(), 'purse-dashboard-build-'));
    execFileSync('npx', ['vite', 'build', '--outDir', build_dir, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: path.join(repository, 'packages', 'dashboard'),
      // Vitest runs with NODE_ENV=test, which would make Vite bundle React's development build.
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: 'inherit',
    });
    t = await createTestApp({}, {}, {}, {}, { dashboard_dir: build_dir });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    base = `http://127.0.0.1:${address.port}`;
    browser = await chromium.launch({ executablePath: chromium_path, args: ['--no-sandbox'] });
    receiver = await startReceiver();
    await setUpData();
  }, 180_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await receiver?.close();
    await t?.close();
    if (build_dir !== '') await rm(build_dir, { recursive: true, force: true });
  });

  async function post(url: string, payload: unknown, key?: string) {
    const response = await t.request({
      method: 'POST',
      url,
      payload: payload as object,
      ...(key === undefined ? {} : { key }),
    });
    expect(response.statusCode, response.body).toBeLessThan(300);
    return response.json() as { id: string } & Record<string, unknown>;
  }

  async function setUpData() {
    holder_email = `ada.${Date.now()}@example.com`;
    holder_id = (
      await post('/v1/holders', { name: 'Ada Lovelace', email: holder_email, external_id: 'cust_ada' })
    ).id;
    wallet_id = await newWallet(t, 'USD', { holder_id });
    vendor_id = await newWallet(t, 'USD');
    const payment = await post('/v1/payments', {
      wallet_id,
      amount: '500.00',
      currency: 'USD',
      source: { type: 'card', number: '4242424242424242' },
    });
    payment_id = payment.id;
    await fund(t, vendor_id, '50.00');
    // The test's own transfers: 12.34 + 7.66 = 20.00 USD today, which the overview must draw.
    for (const amount of ['12.34', '7.66'])
      await post('/v1/transfers', {
        source_wallet_id: vendor_id,
        destination_wallet_id: wallet_id,
        amount,
        currency: 'USD',
      });
    // An agent's key whose spend policy parks anything above 1.00: a transfer waiting for approval.
    const agent = await post('/v1/api_keys', {
      name: 'agent',
      scopes: ['transfers:write'],
      spend_policy: { limits: [{ currency: 'USD', approval_above: '1.00' }] },
    });
    const parked = await t.request({
      method: 'POST',
      url: '/v1/transfers',
      key: String(agent.secret),
      payload: {
        source_wallet_id: vendor_id,
        destination_wallet_id: wallet_id,
        amount: '5.00',
        currency: 'USD',
      },
    });
    expect(parked.statusCode, parked.body).toBe(202);
    approval_id = parked.json().id;
    endpoint_id = (await post('/v1/webhook_endpoints', { url: receiver.url, enabled_events: ['*'] })).id;
    await sequenceEvents(t.db.pool, 1_000, new Date());
  }

  async function newOperator(role: OperatorRole): Promise<SignedOperator> {
    operator_count += 1;
    const email = `${role}${operator_count}@ops.example.com`;
    const password = `correct horse battery ${operator_count}`;
    const created = await createOperator(t.db.pool, {
      email,
      name: `${role} ${operator_count}`,
      role,
      password,
      created_by: 'cli',
    });
    if (!created.ok) throw new Error(created.error.detail);
    return { email, password, secret: created.value.totp_secret };
  }

  function code(operator: SignedOperator): string {
    // The code of the server's time: the test app's clock stands still unless a test moves it.
    return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(operator.secret) }).generate({
      timestamp: t.clock.now().getTime(),
    });
  }

  // On a failure, what the page showed and what the browser said, to read in the test's output.
  const pages: Page[] = [];
  const browser_log: string[] = [];
  afterEach(async (context) => {
    if (context.task.result?.state !== 'fail') return;
    const last = pages.at(-1);
    if (last !== undefined)
      console.error(`page ${last.url()}:\n${await last.locator('body').textContent().catch(String)}`);
    console.error(browser_log.slice(-20).join('\n'));
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    context.setDefaultTimeout(patient.timeout);
    const page = await context.newPage();
    pages.push(page);
    page.on('response', (r) => browser_log.push(`${r.status()} ${r.request().method()} ${r.url()}`));
    page.on('console', (message) => {
      browser_log.push(`console ${message.type()}: ${message.text()}`);
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
        csp_violations.push(message.text());
    });
    return page;
  }

  async function fillSignIn(page: Page, operator: SignedOperator, password = operator.password) {
    await page.goto(`${base}/dashboard/`);
    await page.getByLabel('Email').fill(operator.email);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Authenticator code').fill(code(operator));
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function signedIn(role: OperatorRole): Promise<Page> {
    const page = await newPage();
    await fillSignIn(page, await newOperator(role));
    await page.getByRole('heading', { name: /^Overview/ }).waitFor();
    return page;
  }

  /** No serious or critical axe violation (contrast included); a screenshot when asked for. */
  async function checkPage(page: Page, name: string) {
    await page.evaluate(axe_source);
    // Runs in the page (no DOM types here): axe's violations, each with its impact and elements.
    const violations = (await page.evaluate(`axe
      .run(document, { resultTypes: ['violations'] })
      .then((result) => result.violations.map((v) => ({
        id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')),
      })))`)) as { id: string; impact: string; targets: string[] }[];
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious, `${name}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
    if (screenshots) {
      await mkdir(screenshot_dir, { recursive: true });
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: path.join(screenshot_dir, `${name}.png`) });
    }
  }

  it('refuses a wrong password with a clear message and a 401, then signs in with password and TOTP', async () => {
    const page = await newPage();
    const operator = await newOperator('admin');
    await page.goto(`${base}/dashboard/`);
    await checkPage(page, 'login');
    const refused = page.waitForResponse(
      (r) => r.url().endsWith('/dashboard/session') && r.request().method() === 'POST',
    );
    await fillSignIn(page, operator, 'not the password');
    expect((await refused).status()).toBe(401);
    await expect
      .poll(() => page.getByRole('alert').textContent(), patient)
      .toContain('Wrong email, password or code');
    await page.getByLabel('Password').fill(operator.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /^Overview/ }).waitFor();
    expect(await page.title()).toMatch(/^TEST · Overview/);
    await expect
      .poll(() => page.getByRole('note', { name: 'Mode' }).textContent(), patient)
      .toContain('TEST mode');
  });

  it("draws the overview's charts from the test's own transfers, with a table for each", async () => {
    const page = await newPage();
    const answered = page.waitForResponse((r) => r.url().includes('/v1/reports/overview'));
    await fillSignIn(page, await newOperator('viewer'));
    const overview = (await (await answered).json()) as {
      volume: { date: string; currency: string; amount: string; count: number }[];
    };
    const today = new Date().toISOString().slice(0, 10);
    const usd = overview.volume.find((row) => row.date === today && row.currency === 'USD');
    expect(usd).toMatchObject({ count: 2, amount: '20.00' });
    const chart = page.locator('canvas[data-chart="Transfer volume per currency"]');
    await chart.waitFor();
    // The canvas has been drawn on: some of its pixels are not blank.
    const painted = await chart.evaluate((canvas: Canvas) => {
      const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
      let count = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) count += 1;
      return count;
    });
    expect(painted).toBeGreaterThan(100);
    await page.getByText('Transfer volume per currency: as a table').click();
    const table = page.getByRole('table', { name: /Transfer volume per currency/ });
    await expect.poll(() => table.textContent(), patient).toContain('20.00');
    await expect.poll(() => table.textContent(), patient).toContain(today);
    await checkPage(page, 'overview');
  });

  it('finds a wallet by its holder email, refunds a payment and shows the balance change', async () => {
    const page = await signedIn('finance');
    await page.getByRole('link', { name: 'Search' }).click();
    await page.getByLabel('Id, external id, email or amount').fill(holder_email);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: holder_id }).click();
    await page.getByRole('link', { name: wallet_id }).click();
    const available = page.locator('[data-balance="available"]');
    await expect.poll(() => available.textContent(), patient).toBe('520.00 USD');
    await checkPage(page, 'wallet');
    await page.goto(`${base}/dashboard/payments/${payment_id}`);
    await page.getByLabel('Amount to refund').fill('100.00');
    const refunded = page.waitForResponse((r) => r.url().endsWith('/v1/refunds'));
    await page.getByRole('button', { name: 'Refund payment' }).click();
    expect((await refunded).status()).toBe(201);
    await expect.poll(() => page.getByRole('status').textContent(), patient).toContain('Refunded');
    await checkPage(page, 'payment');
    await page.getByRole('link', { name: wallet_id }).first().click();
    await expect
      .poll(() => page.locator('[data-balance="available"]').textContent(), patient)
      .toBe('420.00 USD');
  });

  it('refuses a refund of a payment that was refunded meanwhile, with the reason, and moves nothing', async () => {
    const payment = await post('/v1/payments', {
      wallet_id: vendor_id,
      amount: '30.00',
      currency: 'USD',
      source: { type: 'card', number: '4242424242424242' },
    });
    const page = await signedIn('finance');
    await page.goto(`${base}/dashboard/payments/${payment.id}`);
    await page.getByRole('button', { name: 'Refund payment' }).waitFor();
    // Someone else refunds all of it while the page is open.
    await post('/v1/refunds', { payment_id: payment.id });
    const before = (await t.request({ method: 'GET', url: `/v1/wallets/${vendor_id}` })).json().balance;
    const refused = page.waitForResponse((r) => r.url().endsWith('/v1/refunds'));
    await page.getByRole('button', { name: 'Refund payment' }).click();
    const status = (await refused).status();
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    await expect.poll(() => page.getByRole('alert').textContent(), patient).toMatch(/refund/i);
    const after = (await t.request({ method: 'GET', url: `/v1/wallets/${vendor_id}` })).json().balance;
    expect(after).toEqual(before);
  });

  it('cancels a payout that has not left, and the wallet has its money back', async () => {
    const before = (await t.request({ method: 'GET', url: `/v1/wallets/${vendor_id}` })).json().balance
      .available;
    const payout = await post('/v1/payouts', {
      wallet_id: vendor_id,
      amount: '4.00',
      currency: 'USD',
      destination: {
        type: 'bank_account',
        account_holder_name: 'Vendor',
        account_number: '000123456789',
        routing_number: '110000000',
      },
    });
    const page = await signedIn('finance');
    await page.goto(`${base}/dashboard/payouts/${payout.id}`);
    await page.getByRole('button', { name: 'Cancel payout' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), patient).toContain('canceled');
    await checkPage(page, 'payout');
    const after = await t.request({ method: 'GET', url: `/v1/payouts/${payout.id}` });
    expect(after.json().status).toBe('canceled');
    const wallet = (await t.request({ method: 'GET', url: `/v1/wallets/${vendor_id}` })).json();
    expect(wallet.balance.available).toBe(before);
  });

  it('tells an operator locked out after repeated failures so, with a 429', async () => {
    const operator = await newOperator('support');
    for (let i = 0; i < t.config.operators.sessions.failures_max; i += 1) {
      const failed = await t.request({
        method: 'POST',
        url: '/dashboard/session',
        key: null,
        // From another address, so this run's sign-ins stay under the per-address limit.
        remoteAddress: '10.9.8.7',
        payload: { email: operator.email, password: 'wrong', code: '000000' },
      });
      expect(failed.statusCode, failed.body).toBe(401);
    }
    const page = await newPage();
    const refused = page.waitForResponse(
      (r) => r.url().endsWith('/dashboard/session') && r.request().method() === 'POST',
    );
    await fillSignIn(page, operator);
    expect((await refused).status()).toBe(429);
    await expect.poll(() => page.getByRole('alert').textContent(), patient).toContain('locked');
  });

  it('approves a parked transfer only with a second operator (four-eyes)', async () => {
    const first = await signedIn('finance');
    await first.goto(`${base}/dashboard/approvals/${approval_id}`);
    await first.getByRole('button', { name: 'Approve' }).click();
    await expect
      .poll(() => first.getByRole('status').textContent())
      .toContain('a second operator must approve');
    await expect
      .poll(() => first.getByRole('table', { name: /Sign-offs/ }).textContent(), patient)
      .toMatch(/op_/);
    await checkPage(first, 'approval');
    const pending = await t.request({ method: 'GET', url: `/v1/approvals/${approval_id}` });
    expect(pending.json().status).toBe('pending');
    const second = await signedIn('admin');
    await second.goto(`${base}/dashboard/approvals/${approval_id}`);
    await second.getByRole('button', { name: 'Approve' }).click();
    await expect
      .poll(() => second.getByRole('status').textContent(), patient)
      .toContain('Approved and executed');
    const approved = await t.request({ method: 'GET', url: `/v1/approvals/${approval_id}` });
    expect(approved.json().status).toBe('approved');
  });

  it('parks a large refund for a second operator, who runs it from the approval page', async () => {
    const payment = await post('/v1/payments', {
      wallet_id: vendor_id,
      amount: '1500.00',
      currency: 'USD',
      source: { type: 'card', number: '4242424242424242' },
    });
    const first = await signedIn('finance');
    await first.goto(`${base}/dashboard/payments/${payment.id}`);
    const parked = first.waitForResponse((r) => r.url().endsWith('/v1/refunds'));
    await first.getByRole('button', { name: 'Refund payment' }).click();
    const answer = await parked;
    expect(answer.status()).toBe(202);
    const approval = ((await answer.json()) as { id: string }).id;
    await expect
      .poll(() => first.getByRole('status').textContent(), patient)
      .toContain('Parked for a second operator');
    expect(
      (await t.request({ method: 'GET', url: `/v1/payments/${payment.id}` })).json().amount_refunded,
    ).toBe('0.00');
    const second = await signedIn('admin');
    await second.getByRole('link', { name: 'Approvals' }).click();
    await second.getByRole('link', { name: approval }).click();
    await second.getByRole('button', { name: 'Approve' }).click();
    await expect
      .poll(() => second.getByRole('status').textContent(), patient)
      .toContain('Approved and executed');
    expect(
      (await t.request({ method: 'GET', url: `/v1/payments/${payment.id}` })).json().amount_refunded,
    ).toBe('1500.00');
  });

  it('replays a webhook delivery, which reaches the receiver again', async () => {
    // The worker's part, run here as the webhook tests do: sequence events, send what is due,
    // until the receiver has had `count` requests and nothing is left pending.
    const deliverUntil = async (count: number) => {
      const runner = new DeliveryRunner({
        pool: t.db.pool,
        clock: { now: () => new Date() },
        config: t.config.webhooks,
        log: { error: (obj, msg) => console.error(msg, obj) },
      });
      const deadline = Date.now() + patient.timeout;
      try {
        const pending = async () =>
          Number(
            (await t.db.pool.query("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"))
              .rows[0].count,
          );
        while ((receiver.received.length < count || (await pending()) > 0) && Date.now() < deadline) {
          await sequenceEvents(t.db.pool, 1_000, new Date());
          await runner.poll();
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        await runner.stop();
      }
      return receiver.received.length;
    };
    const delivered = await deliverUntil(1);
    expect(delivered).toBeGreaterThan(0);
    const page = await signedIn('support');
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('link', { name: endpoint_id }).click();
    const replayed = page.waitForResponse((r) => r.url().endsWith('/replay'));
    await page
      .getByRole('button', { name: /^Replay event evt_/ })
      .first()
      .click();
    expect((await replayed).status()).toBe(200);
    await expect.poll(() => page.getByRole('status').textContent(), patient).toMatch(/Replay queued: 1 /);
    await checkPage(page, 'webhook-endpoint');
    expect(await deliverUntil(delivered + 1)).toBeGreaterThan(delivered);
  });

  it('freezes a wallet, resolves an escrow dispute, enables and edits a risk rule, rotates a webhook secret', async () => {
    const page = await signedIn('admin');
    const frozen = await newWallet(t);
    await page.goto(`${base}/dashboard/wallets/${frozen}`);
    await page.getByRole('button', { name: 'Freeze wallet' }).click();
    await page.getByRole('button', { name: 'Unfreeze wallet' }).waitFor();
    expect((await t.request({ method: 'GET', url: `/v1/wallets/${frozen}` })).json().status).toBe('frozen');

    const escrow = await post('/v1/escrows', {
      payer_wallet_id: vendor_id,
      payee_wallet_id: wallet_id,
      amount: '3.00',
      currency: 'USD',
    });
    await post(`/v1/escrows/${escrow.id}/dispute`, { reason: 'not delivered' });
    await page.goto(`${base}/dashboard/escrows/${escrow.id}`);
    await page.getByLabel('Outcome').selectOption('refund');
    await page.getByRole('button', { name: 'Resolve dispute' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), patient).toContain('resolved: refund');
    await checkPage(page, 'escrow');
    expect((await t.request({ method: 'GET', url: `/v1/escrows/${escrow.id}` })).json().status).not.toBe(
      'disputed',
    );

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Risk rules' }).click();
    await page.getByLabel('Rule name').fill('Large payments');
    await page.getByLabel('Above amount').fill('5000.00');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('button', { name: 'Enable rule Large payments' }).click();
    await page.getByRole('button', { name: 'Disable rule Large payments' }).waitFor();
    await page.getByRole('button', { name: 'Edit rule Large payments' }).click();
    await page.getByLabel('Action').selectOption('flag');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), patient).toContain('saved');
    const rules = (await t.request({ method: 'GET', url: '/v1/risk_rules' })).json().data;
    expect(rules.find((r: { name: string }) => r.name === 'Large payments')).toMatchObject({
      enabled: true,
      action: 'flag',
    });

    await page.goto(`${base}/dashboard/webhooks/${endpoint_id}`);
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), patient).toMatch(/New secret .*whsec_/);
  });

  it('creates an API key and shows its secret once', async () => {
    const page = await signedIn('admin');
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Key name').fill('reporting');
    await page.getByRole('button', { name: 'Create key' }).click();
    await expect.poll(() => page.getByTestId('secret').textContent(), patient).toMatch(/^sk_test_/);
    await checkPage(page, 'api-keys');
    await page.reload();
    await page.getByRole('table', { name: 'API keys' }).waitFor();
    expect(await page.getByTestId('secret').count()).toBe(0);
    await page.getByRole('button', { name: 'Revoke key reporting' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent(), patient)
      .toContain('Key reporting revoked');
  });

  it('shows every other main page without an accessibility violation, and the live switch everywhere', async () => {
    const page = await signedIn('admin');
    for (const [link, name] of [
      ['Approvals', 'approvals'],
      ['Risk rules', 'risk-rules'],
      ['Payments', 'payments'],
    ] as const) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
      await page.getByRole('table').first().waitFor();
      await checkPage(page, name);
    }
    await page.getByRole('radio', { name: 'Live' }).check();
    await expect
      .poll(() => page.getByRole('note', { name: 'Mode' }).textContent(), patient)
      .toContain('LIVE mode');
    await expect.poll(() => page.title(), patient).toMatch(/^LIVE · /);
    await checkPage(page, 'live-mode');
    // Operators are managed from live mode: a new one's password and authenticator shown once.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operators' }).click();
    await page.getByRole('table', { name: 'Operators' }).waitFor();
    // Before creating one: the screenshot shows no password or authenticator secret.
    await checkPage(page, 'operators');
    await page.getByLabel('Operator email').fill('new.viewer@ops.example.com');
    await page.getByLabel('Operator name').fill('New Viewer');
    await page.getByRole('button', { name: 'Create operator' }).click();
    await page.getByText('shown once').waitFor();
    expect(await page.locator('.secret').textContent()).toMatch(/Password: .+otpauth:\/\/totp\//);
    const listed = await t.request({ method: 'GET', url: '/v1/operators?limit=100', key: t.live_key });
    expect(listed.json().data.map((o: { email: string }) => o.email)).toContain('new.viewer@ops.example.com');
  });

  it('is keyboard navigable: the first Tab reaches "Skip to content", which moves focus to the page', async () => {
    const page = await signedIn('viewer');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.tagName')).not.toBe('BODY');
  });

  it('tells a viewer who tries an action that the role does not allow it, with a 403, and changes nothing', async () => {
    const page = await signedIn('viewer');
    await page.goto(`${base}/dashboard/wallets/${vendor_id}`);
    const refused = page.waitForResponse((r) => r.url().endsWith('/freeze'));
    await page.getByRole('button', { name: 'Freeze wallet' }).click();
    expect((await refused).status()).toBe(403);
    await expect.poll(() => page.getByRole('alert').textContent(), patient).toMatch(/scope|role|permission/i);
    const wallet = await t.request({ method: 'GET', url: `/v1/wallets/${vendor_id}` });
    expect(wallet.json().status).toBe('active');
  });

  it('refuses a state change without the CSRF token, even with the session cookie', async () => {
    const page = await signedIn('admin');
    const answer = await page.evaluate(async (id) => {
      const response = await fetch(`/v1/wallets/${id}/freeze`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'idempotency-key': crypto.randomUUID() },
      });
      return { status: response.status, body: (await response.json()) as { code?: string } };
    }, vendor_id);
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('csrf_token_invalid');
    const wallet = await t.request({ method: 'GET', url: `/v1/wallets/${vendor_id}` });
    expect(wallet.json().status).toBe('active');
  });

  it('sends an operator whose session expired back to sign in, saying so', async () => {
    const page = await signedIn('admin');
    // Past the idle timeout on the server's clock.
    t.clock.advance((t.config.operators.sessions.idle_timeout_s + 60) * 1000);
    await page.getByRole('link', { name: 'Wallets' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), patient).toContain('session has expired');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  it('ran every page under the CSP without a violation', () => {
    expect(csp_violations).toEqual([]);
  });
});
