import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { uploadedFile } from '../test-support/files.js';
import { createKey } from '../test-support/keys.js';
import { expectProblem, newWallet, post } from '../test-support/money.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

interface Session {
  id: string;
  status: string;
  holder_id: string;
  last_error: { code: string; reason: string } | null;
  missing_fields: string[];
  provided_fields: string[];
  review: { reason: string; sanctions_matches: { party: string; entry_id: string; score: number }[] } | null;
  verified_tier: number | null;
}

const address = { line1: '12 Analytical Row', city: 'London', postal_code: 'SW1A 1AA', country: 'GB' };
const person = (extra: Record<string, unknown> = {}) => ({
  first_name: 'Ada',
  last_name: 'Lovelace',
  dob: '1990-04-12',
  address,
  ...extra,
});

async function newHolder(key = t.test_key, name = 'Ada Lovelace'): Promise<string> {
  const response = await t.request({ method: 'POST', url: '/v1/holders', payload: { name }, key });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

async function start(
  holder: string,
  payload: Record<string, unknown>,
  status = 201,
  key = t.test_key,
): Promise<Session> {
  const response = await post(t, `/v1/holders/${holder}/verification_sessions`, payload, key);
  expect(response.statusCode, response.body).toBe(status);
  return response.json<Session>();
}

async function update(id: string, payload: Record<string, unknown>, key = t.test_key): Promise<Session> {
  const response = await post(t, `/v1/verification_sessions/${id}`, payload, key);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Session>();
}

async function holderKyc(id: string, key = t.test_key) {
  const holder = (await t.request({ method: 'GET', url: `/v1/holders/${id}`, key })).json();
  return { kyc_status: holder.kyc_status, kyc_tier: holder.kyc_tier };
}

async function eventTypes(object_id: string): Promise<string[]> {
  const found = await t.db.pool.query<{ type: string }>(
    'SELECT type FROM events WHERE object_id = $1 ORDER BY id',
    [object_id],
  );
  return found.rows.map((row) => row.type);
}

async function document(number = '502135326', key?: string) {
  return {
    type: 'passport',
    number,
    issuing_country: 'GB',
    expires_on: '2031-01-31',
    front_file: await uploadedFile(t, 'identity_document', key),
  };
}

describe('verifying a person', () => {
  it('verifies complete input at tier 1, and tier 2 with an identity document; the holder follows', async () => {
    const holder = await newHolder();
    const plain = await start(holder, { type: 'person', person: person() });
    expect(plain).toMatchObject({
      status: 'verified',
      verified_tier: 1,
      last_error: null,
      missing_fields: [],
      review: null,
    });
    expect(plain.id).toMatch(/^vs_/);
    expect(await holderKyc(holder)).toEqual({ kyc_status: 'verified', kyc_tier: 1 });
    expect(await eventTypes(plain.id)).toEqual([
      'verification_session.created',
      'verification_session.verified',
    ]);
    expect(await eventTypes(holder)).toContain('holder.updated');

    const documented = await start(holder, {
      type: 'person',
      person: person({ id_document: await document() }),
    });
    expect(documented).toMatchObject({ status: 'verified', verified_tier: 2 });
    expect(await holderKyc(holder)).toEqual({ kyc_status: 'verified', kyc_tier: 2 });
    // A later verification at a lower tier does not lower the holder's.
    await start(holder, { type: 'person', person: person() });
    expect(await holderKyc(holder)).toEqual({ kyc_status: 'verified', kyc_tier: 2 });
  });

  it('requires the input that is missing, then decides when it arrives', async () => {
    const holder = await newHolder();
    const partial = await start(holder, {
      type: 'person',
      person: { first_name: 'Ada', address: { city: 'London' } },
    });
    expect(partial).toMatchObject({ status: 'requires_input', last_error: null });
    expect(partial.missing_fields).toEqual([
      'person.last_name',
      'person.dob',
      'person.address.line1',
      'person.address.country',
    ]);
    expect(partial.provided_fields).toEqual(['person.first_name', 'person.address.city']);
    expect(await holderKyc(holder)).toEqual({ kyc_status: 'pending', kyc_tier: 0 });
    // One open session per holder.
    expectProblem(
      await post(t, `/v1/holders/${holder}/verification_sessions`, { type: 'person' }),
      409,
      'verification_in_progress',
    );
    const done = await update(partial.id, {
      person: {
        last_name: 'Lovelace',
        dob: '1990-04-12',
        address: { line1: '12 Analytical Row', country: 'GB' },
      },
    });
    expect(done).toMatchObject({ status: 'verified', verified_tier: 1, missing_fields: [] });
    expect(await eventTypes(partial.id)).toEqual([
      'verification_session.created',
      'verification_session.requires_input',
      'verification_session.verified',
    ]);
    // A decided session takes no more input.
    expectProblem(
      await post(t, `/v1/verification_sessions/${partial.id}`, { person: { first_name: 'Eve' } }),
      409,
      'invalid_state',
    );
  });

  it('opens one session of concurrent starts for a holder; the others are 409 and write nothing', async () => {
    const holder = await newHolder();
    const url = `/v1/holders/${holder}/verification_sessions`;
    const starts = await Promise.all(
      [1, 2, 3, 4].map(() => post(t, url, { type: 'person', person: { first_name: 'Ada' } })),
    );
    expect(starts.map((response) => response.statusCode).sort()).toEqual([201, 409, 409, 409]);
    for (const refused of starts.filter((response) => response.statusCode === 409))
      expect(refused.json().code).toBe('verification_in_progress');
    const found = await t.db.pool.query('SELECT 1 FROM verification_sessions WHERE holder_id = $1', [holder]);
    expect(found.rowCount).toBe(1);
  });

  it('follows the sandbox test data: rejected documents, unreadable ones, unverifiable people and addresses', async () => {
    const fraud = await start(await newHolder(), {
      type: 'person',
      person: person({ id_document: await document('000000001') }),
    });
    expect(fraud).toMatchObject({ status: 'rejected', last_error: { code: 'document_fraudulent' } });
    expect(await holderKyc(fraud.holder_id)).toEqual({ kyc_status: 'rejected', kyc_tier: 0 });

    const blurred = await start(await newHolder(), {
      type: 'person',
      person: person({ id_document: await document('000000002') }),
    });
    expect(blurred).toMatchObject({
      status: 'requires_input',
      last_error: { code: 'document_unreadable' },
      missing_fields: ['person.id_document.front_file'],
    });
    const retaken = await update(blurred.id, { person: { id_document: await document() } });
    expect(retaken).toMatchObject({ status: 'verified', verified_tier: 2, last_error: null });

    const nobody = await start(await newHolder(), {
      type: 'person',
      person: person({ last_name: 'Unverifiable' }),
    });
    expect(nobody).toMatchObject({ status: 'rejected', last_error: { code: 'identity_unverified' } });

    const unconfirmed = await start(await newHolder(), {
      type: 'person',
      person: person({ address: { ...address, line1: '1 Unverified Street' } }),
    });
    expect(unconfirmed).toMatchObject({
      status: 'requires_input',
      last_error: { code: 'address_unverified' },
    });
    const proven = await update(unconfirmed.id, {
      person: { proof_of_address_file: await uploadedFile(t, 'proof_of_address') },
    });
    expect(proven.status).toBe('verified');
  });

  it('rejects a minor and an expired document whatever the verifier', async () => {
    const today = t.clock.now();
    const seventeen = `${today.getUTCFullYear() - 17}-01-01`;
    const minor = await start(await newHolder(), { type: 'person', person: person({ dob: seventeen }) });
    expect(minor).toMatchObject({ status: 'rejected', last_error: { code: 'under_age' } });
    const expired = await start(await newHolder(), {
      type: 'person',
      person: person({ id_document: { ...(await document()), expires_on: '2020-01-01' } }),
    });
    expect(expired).toMatchObject({ status: 'rejected', last_error: { code: 'document_expired' } });
    // No input value in a reason: it is shown to the holder's key and stored in clear.
    expect(expired.last_error?.reason).not.toContain('2020');
    const stored = await t.db.pool.query<{ last_error_reason: string }>(
      'SELECT last_error_reason FROM verification_sessions WHERE id = $1',
      [expired.id],
    );
    expect(stored.rows[0]?.last_error_reason).not.toContain('2020');
  });

  it('never returns or stores the personal data in clear', async () => {
    const holder = await newHolder();
    const session = await start(holder, { type: 'person', person: person({ last_name: 'Byronsdottir' }) });
    const read = await t.request({ method: 'GET', url: `/v1/verification_sessions/${session.id}` });
    expect(read.body).not.toContain('Byronsdottir');
    expect(read.body).not.toContain('1990-04-12');
    expect(read.json().provided_fields).toContain('person.last_name');
    const row = await t.db.pool.query<{ input: string }>(
      'SELECT input FROM verification_sessions WHERE id = $1',
      [session.id],
    );
    expect(row.rows[0]?.input.startsWith('pse1.')).toBe(true);
    expect(row.rows[0]?.input).not.toContain('Byronsdottir');
  });
});

describe('verifying a business', () => {
  const business = (extra: Record<string, unknown> = {}) => ({
    legal_name: 'Analytical Engines Ltd',
    registration_number: '09876543',
    country: 'GB',
    owners: [
      { first_name: 'Grace', last_name: 'Hopper', dob: '1976-12-09', ownership_percent: '60' },
      { first_name: 'Alan', last_name: 'Turing', dob: '1982-06-23', ownership_percent: '40' },
    ],
    ...extra,
  });

  it('verifies a business with its owners; a registry document lifts it to tier 2', async () => {
    const plain = await start(await newHolder(), { type: 'business', business: business() });
    expect(plain).toMatchObject({ status: 'verified', verified_tier: 1 });
    const documented = await start(await newHolder(), {
      type: 'business',
      business: business({ documents: [await uploadedFile(t, 'business_document')] }),
    });
    expect(documented).toMatchObject({ status: 'verified', verified_tier: 2 });
  });

  it('follows the sandbox registration numbers and requires owners', async () => {
    const unknown = await start(await newHolder(), {
      type: 'business',
      business: business({ registration_number: '00000001' }),
    });
    expect(unknown).toMatchObject({ status: 'rejected', last_error: { code: 'business_unverified' } });
    const wants = await start(await newHolder(), {
      type: 'business',
      business: business({ registration_number: '00000002' }),
    });
    expect(wants).toMatchObject({ status: 'requires_input', missing_fields: ['business.documents'] });
    const given = await update(wants.id, {
      business: { documents: [await uploadedFile(t, 'business_document')] },
    });
    expect(given).toMatchObject({ status: 'verified', verified_tier: 2 });
    const ownerless = await start(await newHolder(), {
      type: 'business',
      business: business({ owners: [] }),
    });
    expect(ownerless.missing_fields).toEqual(['business.owners']);
  });

  it('refuses owners holding more than 100 percent, input of the other type and unusable files (nothing written)', async () => {
    const holder = await newHolder();
    const url = `/v1/holders/${holder}/verification_sessions`;
    const over = business({
      owners: [
        { first_name: 'A', last_name: 'B', dob: '1980-01-01', ownership_percent: '60.5' },
        { first_name: 'C', last_name: 'D', dob: '1980-01-01', ownership_percent: '39.51' },
      ],
    });
    expectProblem(
      await post(t, url, { type: 'business', business: over }),
      400,
      'invalid_request',
      'business.owners',
    );
    expectProblem(
      await post(t, url, { type: 'person', business: business() }),
      400,
      'invalid_request',
      'business',
    );
    expectProblem(
      await post(t, url, { type: 'person', person: { dob: '12/04/1990' } }),
      400,
      'invalid_request',
      'person.dob',
    );
    expectProblem(await post(t, url, { type: 'robot' }), 400, 'invalid_request', 'type');
    const proof = await uploadedFile(t, 'proof_of_address');
    const wrong = { type: 'business', business: business({ documents: [proof] }) };
    expectProblem(await post(t, url, wrong), 400, 'invalid_request', 'business.documents[0]');
    const missing = {
      type: 'business',
      business: business({ documents: ['file_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    };
    expectProblem(await post(t, url, missing), 404, 'resource_not_found', 'business.documents[0]');
    expectProblem(
      await post(t, '/v1/holders/hol_nobody/verification_sessions', { type: 'person' }),
      404,
      'resource_not_found',
    );
    const found = await t.db.pool.query('SELECT 1 FROM verification_sessions WHERE holder_id = $1', [holder]);
    expect(found.rowCount).toBe(0);
  });
});

describe('sanctions screening', () => {
  it('rejects a listed person (sanctions_match), sets the holder to rejected at tier 0 and freezes its wallets', async () => {
    const holder = await newHolder();
    const wallet = await newWallet(t, 'USD', { holder_id: holder });
    await start(holder, { type: 'person', person: person({ id_document: await document() }) });
    expect(await holderKyc(holder)).toEqual({ kyc_status: 'verified', kyc_tier: 2 });
    const listed = await start(holder, {
      type: 'person',
      person: person({ first_name: 'Ilya', last_name: 'Vortanes' }),
    });
    expect(listed).toMatchObject({ status: 'rejected', last_error: { code: 'sanctions_match' } });
    expect(await holderKyc(holder)).toEqual({ kyc_status: 'rejected', kyc_tier: 0 });
    const status = (await t.request({ method: 'GET', url: `/v1/wallets/${wallet}` })).json().status;
    expect(status).toBe('frozen');
    expect(await eventTypes(wallet)).toContain('wallet.frozen');
  });

  it('rejects a listed name written with lookalike letters, a split word or more names', async () => {
    for (const [first_name, last_name] of [
      ['\u0406l\u0443\u0430', 'V\u043ert\u0430n\u0456s'],
      ['Odina Maria', 'Kestrell-Smith'],
      ['Ilya', 'Vor\u00adtanis'],
    ]) {
      const session = await start(await newHolder(), {
        type: 'person',
        person: person({ first_name, last_name }),
      });
      expect(session, `${first_name} ${last_name}`).toMatchObject({
        status: 'rejected',
        last_error: { code: 'sanctions_match' },
      });
    }
  });

  it("screens the holder's own name and every owner", async () => {
    const holder = await newHolder(t.test_key, 'Marisol Quillfeather');
    const by_holder = await start(holder, { type: 'person', person: person() });
    expect(by_holder.last_error?.code).toBe('sanctions_match');
    const owners = [
      { first_name: 'Odina', last_name: 'Kestrel', dob: '1980-02-02', ownership_percent: '30' },
    ];
    const by_owner = await start(await newHolder(), {
      type: 'business',
      business: { legal_name: 'Harbour Bakery Ltd', registration_number: '1234', country: 'GB', owners },
    });
    expect(by_owner).toMatchObject({ status: 'rejected', last_error: { code: 'sanctions_match' } });
  });

  it('blocks a holder created or renamed with a listed name, without refusing it', async () => {
    const created = await t.request({
      method: 'POST',
      url: '/v1/holders',
      payload: { name: 'VORTANIS, Ilya', kyc_status: 'verified', kyc_tier: 3 },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ kyc_status: 'rejected', kyc_tier: 0 });
    const holder = await newHolder();
    const wallet = await newWallet(t, 'USD', { holder_id: holder });
    const renamed = await post(t, `/v1/holders/${holder}`, { name: 'Odina Kestrell' });
    expect(renamed.json()).toMatchObject({ kyc_status: 'rejected', kyc_tier: 0 });
    expect((await t.request({ method: 'GET', url: `/v1/wallets/${wallet}` })).json().status).toBe('frozen');
    // An operator who cleared the case sets the holder back; an update without a name does not screen.
    const cleared = await post(t, `/v1/holders/${holder}`, { kyc_status: 'verified', kyc_tier: 1 });
    expect(cleared.json()).toMatchObject({ kyc_status: 'verified', kyc_tier: 1 });
    // A possible match alone changes nothing at creation: its verification sends it to review.
    expect(await holderKyc(await newHolder(t.test_key, 'Maria Quill'))).toEqual({
      kyc_status: 'unverified',
      kyc_tier: 0,
    });
  });

  it('sends a possible match to review; approving clears it and the verifier decides', async () => {
    const holder = await newHolder();
    const possible = await start(holder, {
      type: 'person',
      person: person({ first_name: 'Maria', last_name: 'Quill' }),
    });
    expect(possible).toMatchObject({ status: 'processing', review: { reason: 'sanctions' } });
    const match = possible.review?.sanctions_matches[0];
    expect(match).toMatchObject({ party: 'person', entry_id: '9000107' });
    expect(match?.score).toBeGreaterThanOrEqual(t.config.identity.sanctions_review_score_min);
    expect(match?.score).toBeLessThan(t.config.identity.sanctions_block_score_min);
    expect(await holderKyc(holder)).toEqual({ kyc_status: 'pending', kyc_tier: 0 });
    expectProblem(
      await post(t, `/v1/verification_sessions/${possible.id}`, { person: { first_name: 'M' } }),
      409,
      'invalid_state',
    );
    const approved = await post(t, `/v1/verification_sessions/${possible.id}/approve`);
    expect(approved.json()).toMatchObject({ status: 'verified', verified_tier: 1, review: null });
    expect(await holderKyc(holder)).toEqual({ kyc_status: 'verified', kyc_tier: 1 });
    expectProblem(await post(t, `/v1/verification_sessions/${possible.id}/approve`), 409, 'invalid_state');
  });

  it('remembers a cleared match through later input, but sends a new possible match to review', async () => {
    const unconfirmed = { ...address, line1: '1 Unverified Street' };
    const possible = await start(await newHolder(), {
      type: 'person',
      person: person({ first_name: 'Maria', last_name: 'Quill', address: unconfirmed }),
    });
    expect(possible.review?.reason).toBe('sanctions');
    const approved = await post(t, `/v1/verification_sessions/${possible.id}/approve`);
    expect(approved.json()).toMatchObject({
      status: 'requires_input',
      last_error: { code: 'address_unverified' },
    });
    const renamed = await update(possible.id, { person: { first_name: 'Odina', last_name: 'Kess' } });
    expect(renamed).toMatchObject({ status: 'processing', review: { reason: 'sanctions' } });
    expect(renamed.review?.sanctions_matches[0]?.entry_id).toBe('9000102');
    await post(t, `/v1/verification_sessions/${possible.id}/approve`);
    const proven = await update(possible.id, {
      person: { proof_of_address_file: await uploadedFile(t, 'proof_of_address') },
    });
    expect(proven).toMatchObject({ status: 'verified', review: null });
  });

  it('keeps a sanctions block through later verifications with a clean name, until an operator lifts it', async () => {
    const holder = await newHolder();
    const listed = await start(holder, {
      type: 'person',
      person: person({ first_name: 'Ilya', last_name: 'Vortanis' }),
    });
    expect(listed.last_error?.code).toBe('sanctions_match');
    const clean = await start(holder, { type: 'person', person: person({ id_document: await document() }) });
    expect(clean).toMatchObject({ status: 'rejected', last_error: { code: 'sanctions_match' } });
    expect(await holderKyc(holder)).toEqual({ kyc_status: 'rejected', kyc_tier: 0 });
    // The operator lifts it explicitly by setting the holder; then a verification counts again.
    await post(t, `/v1/holders/${holder}`, { kyc_status: 'unverified', kyc_tier: 0 });
    const after = await start(holder, { type: 'person', person: person({ id_document: await document() }) });
    expect(after).toMatchObject({ status: 'verified', verified_tier: 2 });
    expect(await holderKyc(holder)).toEqual({ kyc_status: 'verified', kyc_tier: 2 });
  });

  it("screens the holder's current name again at approval", async () => {
    const reviewed = async () => {
      const holder = await newHolder();
      const possible = await start(holder, {
        type: 'person',
        person: person({ first_name: 'Maria', last_name: 'Quill' }),
      });
      expect(possible.review?.reason).toBe('sanctions');
      return { holder, id: possible.id };
    };
    // Renamed to another possible match: the approval of the first does not clear it.
    const first = await reviewed();
    await post(t, `/v1/holders/${first.holder}`, { name: 'Odina Kess' });
    const again = (await post(t, `/v1/verification_sessions/${first.id}/approve`)).json<Session>();
    expect(again).toMatchObject({ status: 'processing', review: { reason: 'sanctions' } });
    expect(again.review?.sanctions_matches.map((m) => [m.party, m.entry_id])).toContainEqual([
      'holder',
      '9000102',
    ]);
    // Renamed to a listed name: the approval rejects it.
    const second = await reviewed();
    await post(t, `/v1/holders/${second.holder}`, { name: 'Ilya Vortanis' });
    const rejected = (await post(t, `/v1/verification_sessions/${second.id}/approve`)).json<Session>();
    expect(rejected).toMatchObject({ status: 'rejected', last_error: { code: 'sanctions_match' } });
    expect(await holderKyc(second.holder)).toEqual({ kyc_status: 'rejected', kyc_tier: 0 });
  });

  it('clears a possible match for the name reviewed only: a changed name is screened again', async () => {
    const unconfirmed = { ...address, line1: '1 Unverified Street' };
    const possible = await start(await newHolder(), {
      type: 'person',
      person: person({ first_name: 'Maria', last_name: 'Quill', address: unconfirmed }),
    });
    await post(t, `/v1/verification_sessions/${possible.id}/approve`);
    const renamed = await update(possible.id, {
      person: {
        first_name: 'Marisol Ann',
        last_name: 'Quillfeather',
        proof_of_address_file: await uploadedFile(t, 'proof_of_address'),
      },
    });
    expect(renamed.status).not.toBe('verified');
    expect(renamed.last_error?.code ?? renamed.review?.reason).toMatch(/^(sanctions_match|sanctions)$/);
  });

  it('lets an operator reject a possible match as a match, which blocks the holder', async () => {
    const holder = await newHolder();
    const wallet = await newWallet(t, 'USD', { holder_id: holder });
    const possible = await start(holder, {
      type: 'person',
      person: person({ first_name: 'Maria', last_name: 'Quill' }),
    });
    const rejected = await post(t, `/v1/verification_sessions/${possible.id}/reject`, {
      code: 'sanctions_match',
      reason: 'Confirmed against the listing',
    });
    expect(rejected.json()).toMatchObject({
      status: 'rejected',
      last_error: { code: 'sanctions_match', reason: 'Confirmed against the listing' },
    });
    expect(await holderKyc(holder)).toEqual({ kyc_status: 'rejected', kyc_tier: 0 });
    expect((await t.request({ method: 'GET', url: `/v1/wallets/${wallet}` })).json().status).toBe('frozen');
    expectProblem(await post(t, `/v1/verification_sessions/${possible.id}/reject`, {}), 409, 'invalid_state');
  });
});

describe('live mode', () => {
  it('has no sandbox: a complete session waits for an operator, who verifies it', async () => {
    const holder = await newHolder(t.live_key);
    const waiting = await start(
      holder,
      { type: 'person', person: person({ last_name: 'Unverifiable' }) },
      201,
      t.live_key,
    );
    expect(waiting).toMatchObject({ status: 'processing', review: { reason: 'manual' } });
    expectProblem(
      await t.request({ method: 'GET', url: `/v1/verification_sessions/${waiting.id}` }),
      404,
      'resource_not_found',
    );
    const approved = await post(t, `/v1/verification_sessions/${waiting.id}/approve`, undefined, t.live_key);
    expect(approved.json()).toMatchObject({ status: 'verified', verified_tier: 1 });
    expect(await holderKyc(holder, t.live_key)).toEqual({ kyc_status: 'verified', kyc_tier: 1 });
  });
});

describe('who may verify', () => {
  it('a key restricted to a holder verifies that holder with its own uploads, and sees nothing else', async () => {
    const mine = await newHolder();
    const theirs = await newHolder();
    const scopes = ['verification_sessions:write', 'files:write', 'holders:read'];
    const key = (await createKey(t, { scopes, restrictions: { holder_id: mine } })).secret;
    const others = await start(theirs, { type: 'person', person: { first_name: 'Ada' } });
    expectProblem(
      await post(t, `/v1/holders/${theirs}/verification_sessions`, { type: 'person' }, key),
      404,
      'resource_not_found',
    );
    expectProblem(
      await t.request({ method: 'GET', url: `/v1/verification_sessions/${others.id}`, key }),
      404,
      'resource_not_found',
    );
    expectProblem(
      await post(t, `/v1/verification_sessions/${others.id}`, { metadata: { a: 'b' } }, key),
      404,
      'resource_not_found',
    );
    // Another key's upload does not exist for it.
    const foreign = await uploadedFile(t, 'identity_document');
    const with_foreign = {
      type: 'person',
      person: person({ id_document: { ...(await document()), front_file: foreign } }),
    };
    expectProblem(
      await post(t, `/v1/holders/${mine}/verification_sessions`, with_foreign, key),
      404,
      'resource_not_found',
      'person.id_document.front_file',
    );
    const own = await start(
      mine,
      { type: 'person', person: person({ id_document: await document(undefined, key) }) },
      201,
      key,
    );
    expect(own.status).toBe('verified');
    expect(
      (await t.request({ method: 'GET', url: `/v1/verification_sessions/${own.id}`, key })).statusCode,
    ).toBe(200);
    // A session the platform started with its own upload: the holder's key completes it.
    const started = await start(await newHolder(), {
      type: 'person',
      person: { id_document: await document() },
    });
    const platform_key = (await createKey(t, { scopes, restrictions: { holder_id: started.holder_id } }))
      .secret;
    const completed = await update(started.id, { person: person() }, platform_key);
    expect(completed).toMatchObject({ status: 'verified', verified_tier: 2 });
    const listed = await t.request({ method: 'GET', url: '/v1/verification_sessions?limit=100', key });
    expect(listed.json().data.map((s: Session) => s.id)).toEqual([own.id]);
    const narrowed = await t.request({
      method: 'GET',
      url: `/v1/verification_sessions?holder_id=${theirs}`,
      key,
    });
    expect(narrowed.json().data).toEqual([]);
    // Operators' decisions are closed to it, and to keys with a spend policy.
    const deciding = ['verification_sessions:write', 'holders:write'];
    const restricted_decider = (await createKey(t, { scopes: deciding, restrictions: { holder_id: mine } }))
      .secret;
    expectProblem(
      await post(t, `/v1/verification_sessions/${others.id}/approve`, undefined, restricted_decider),
      403,
      'key_restricted',
    );
    const agent = (
      await createKey(t, {
        scopes: deciding,
        spend_policy: { limits: [{ currency: 'USD', per_movement_max: '5.00' }] },
      })
    ).secret;
    expectProblem(
      await post(t, `/v1/verification_sessions/${others.id}/reject`, {}, agent),
      403,
      'key_restricted',
    );
  });

  it("shows a restricted key that its session is under review or rejected, never the list's entry, names or scores", async () => {
    const scopes = ['verification_sessions:write', 'verification_sessions:read'];
    const possible_holder = await newHolder();
    const key = (await createKey(t, { scopes, restrictions: { holder_id: possible_holder } })).secret;
    const possible = await start(
      possible_holder,
      { type: 'person', person: person({ first_name: 'Maria', last_name: 'Quill' }) },
      201,
      key,
    );
    expect(possible).toMatchObject({
      status: 'processing',
      review: { reason: 'sanctions', sanctions_matches: [] },
    });
    const read = await t.request({ method: 'GET', url: `/v1/verification_sessions/${possible.id}`, key });
    const listed = await t.request({ method: 'GET', url: '/v1/verification_sessions', key });
    for (const body of [read.body, listed.body]) {
      expect(body).not.toContain('9000107');
      expect(body).not.toMatch(/QUILLFEATHER|score/i);
    }
    // The platform's own key sees the match to decide it.
    const operator_view = (
      await t.request({ method: 'GET', url: `/v1/verification_sessions/${possible.id}` })
    ).json();
    expect(operator_view.review.sanctions_matches[0]).toMatchObject({ entry_id: '9000107' });

    const blocked_holder = await newHolder();
    const blocked_key = (await createKey(t, { scopes, restrictions: { holder_id: blocked_holder } })).secret;
    const blocked = await start(
      blocked_holder,
      { type: 'person', person: person({ first_name: 'Ilya', last_name: 'Vortanis' }) },
      201,
      blocked_key,
    );
    expect(blocked).toMatchObject({ status: 'rejected', last_error: { code: 'sanctions_match' } });
    const blocked_read = await t.request({
      method: 'GET',
      url: `/v1/verification_sessions/${blocked.id}`,
      key: blocked_key,
    });
    for (const body of [JSON.stringify(blocked), blocked_read.body]) {
      expect(body).not.toContain('9000101');
      expect(body).not.toMatch(/VORTANIS|score/i);
    }
  });

  it('the scope that submits a session does not decide it: approve and reject need holders:write too', async () => {
    const possible = await start(await newHolder(), {
      type: 'person',
      person: person({ first_name: 'Maria', last_name: 'Quill' }),
    });
    const submitter = (await createKey(t, { scopes: ['verification_sessions:write'] })).secret;
    for (const decision of ['approve', 'reject'])
      expectProblem(
        await post(t, `/v1/verification_sessions/${possible.id}/${decision}`, {}, submitter),
        403,
        'insufficient_scope',
        'holders:write',
      );
    const decider = (await createKey(t, { scopes: ['verification_sessions:write', 'holders:write'] })).secret;
    const approved = await post(t, `/v1/verification_sessions/${possible.id}/approve`, undefined, decider);
    expect(approved.statusCode, approved.body).toBe(200);
  });

  it('a key restricted to wallets has no holder: every verification is 404 to it', async () => {
    const holder = await newHolder();
    const wallet = await newWallet(t, 'USD', { holder_id: holder });
    const key = (
      await createKey(t, { scopes: ['verification_sessions:write'], restrictions: { wallet_ids: [wallet] } })
    ).secret;
    const session = await start(holder, { type: 'person', person: { first_name: 'Ada' } });
    expectProblem(
      await post(t, `/v1/holders/${holder}/verification_sessions`, { type: 'person' }, key),
      404,
      'resource_not_found',
    );
    expectProblem(
      await t.request({ method: 'GET', url: `/v1/verification_sessions/${session.id}`, key }),
      404,
      'resource_not_found',
    );
    expect((await t.request({ method: 'GET', url: '/v1/verification_sessions', key })).json().data).toEqual(
      [],
    );
  });

  it('lists by holder and status, newest first, within the mode', async () => {
    const holder = await newHolder();
    const first = await start(holder, { type: 'person', person: person() });
    const second = await start(holder, { type: 'person', person: { first_name: 'Ada' } });
    const list = async (query: string, key = t.test_key) =>
      (await t.request({ method: 'GET', url: `/v1/verification_sessions?${query}`, key }))
        .json()
        .data.map((s: Session) => s.id);
    expect(await list(`holder_id=${holder}`)).toEqual([second.id, first.id]);
    expect(await list(`holder_id=${holder}&status=verified`)).toEqual([first.id]);
    expect(await list(`holder_id=${holder}`, t.live_key)).toEqual([]);
    expectProblem(
      await t.request({ method: 'GET', url: '/v1/verification_sessions?status=done' }),
      400,
      'invalid_request',
      'status',
    );
  });
});
