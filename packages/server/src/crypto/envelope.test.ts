import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dictionaryOf } from './compression.js';
import {
  type DataKey,
  EnvelopeError,
  isSealed,
  keyedDigestWith,
  openWith,
  sealedEncoding,
  sealedKeyId,
  sealWith,
  unwrapKey,
  wrapKey,
} from './envelope.js';

const personal: DataKey = { id: 'dk_personal1', record_class: 'personal', version: 1, key: randomBytes(32) };

describe('envelope', () => {
  it('seals to text naming its data key, and opens back', () => {
    const sealed = sealWith(personal, Buffer.from('Ada Lovelace'));
    expect(isSealed(sealed)).toBe(true);
    expect(sealedKeyId(sealed)).toBe('dk_personal1');
    expect(sealed).not.toContain('Ada');
    expect(openWith(personal, 'personal', sealed).toString()).toBe('Ada Lovelace');
    // A fresh IV each time: the same plaintext never seals to the same text.
    expect(sealWith(personal, Buffer.from('Ada Lovelace'))).not.toBe(sealed);
  });

  it('refuses a tampered value: any changed character of iv, ciphertext or tag', () => {
    const sealed = sealWith(personal, Buffer.from('ada@example.com'));
    const [prefix, id, iv = '', body = ''] = sealed.split('.');
    const flip = (text: string, at: number) =>
      `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
    for (const tampered of [
      [prefix, id, flip(iv, 0), body],
      [prefix, id, iv, flip(body, 0)],
      [prefix, id, iv, flip(body, body.length - 2)],
    ])
      expect(() => openWith(personal, 'personal', tampered.join('.'))).toThrow(EnvelopeError);
  });

  it('refuses to open a value as another record class, or with another key of the same id', () => {
    const sealed = sealWith(personal, Buffer.from('4242424242424242'));
    expect(() => openWith(personal, 'instrument', sealed)).toThrow(EnvelopeError);
    // The class is authenticated too: a key row relabelled as another class does not open it.
    const relabelled: DataKey = { ...personal, record_class: 'instrument' };
    expect(() => openWith(relabelled, 'instrument', sealed)).toThrow(EnvelopeError);
    const other: DataKey = { ...personal, key: randomBytes(32) };
    expect(() => openWith(other, 'personal', sealed)).toThrow(EnvelopeError);
  });

  it('wraps a data key under a KEK, bound to its id', () => {
    const kek = randomBytes(32);
    const wrapped = wrapKey(kek, 'dk_a', personal.key);
    expect(unwrapKey(kek, 'dk_a', wrapped).equals(personal.key)).toBe(true);
    expect(() => unwrapKey(kek, 'dk_b', wrapped)).toThrow(EnvelopeError);
    expect(() => unwrapKey(randomBytes(32), 'dk_a', wrapped)).toThrow(EnvelopeError);
  });

  it('hashes for lookups with a key and a purpose', () => {
    const key = randomBytes(32);
    const hash = (k: Buffer, purpose: string, value: string) =>
      keyedDigestWith(k, purpose, value).toString('hex');
    expect(hash(key, 'email', 'a@b.c')).toBe(hash(key, 'email', 'a@b.c'));
    expect(hash(key, 'email', 'a@b.c')).not.toBe(hash(key, 'card', 'a@b.c'));
    expect(hash(key, 'email', 'a@b.c')).not.toBe(hash(randomBytes(32), 'email', 'a@b.c'));
  });

  it('seals compressed, names the encoding, and opens back to the same bytes', () => {
    const view = JSON.stringify({
      id: 'tr_01m8y15anhfmys4b6dtd3f27de',
      object: 'transfer',
      livemode: false,
      status: 'posted',
      source_wallet_id: 'wal_01m8y13xy6phzrpjsj2vv75wap',
      amount: '0.02',
      currency: 'USD',
      captured_amount: null,
      fee: { amount: '0.01', account_id: 'wal_01m8y13wyxbseys8akbkfazf5c' },
      destinations: [{ wallet_id: 'wal_01m8y13xy6phzrpjsj2vv7aaaa', amount: '0.01' }],
      hold: false,
      expires_at: null,
      conversion_id: null,
      description: 'Ada’s rent ✓',
      metadata: {},
      created_at: '2026-12-03T13:23:06.033Z',
      updated_at: '2026-12-03T13:23:06.033Z',
    });
    const plain = sealWith(personal, Buffer.from(view));
    const compressed = sealWith(personal, Buffer.from(view), 'z1');
    expect(sealedEncoding(plain)).toBeUndefined();
    expect(sealedEncoding(compressed)).toBe('z1');
    expect(compressed.endsWith('.z1')).toBe(true);
    expect(isSealed(compressed)).toBe(true);
    expect(sealedKeyId(compressed)).toBe('dk_personal1');
    expect(openWith(personal, 'personal', compressed).toString()).toBe(view);
    // The dictionary holds a view's names and fixed values: what is left is mostly its ids.
    expect(compressed.length).toBeLessThan(plain.length * 0.4);
    const binary = randomBytes(3000);
    expect(openWith(personal, 'personal', sealWith(personal, binary, 'z1')).equals(binary)).toBe(true);
  });

  it('authenticates the encoding: removed, added or renamed, the value does not open', () => {
    const compressed = sealWith(personal, Buffer.from('{"id":"tr_1"}'), 'z1');
    const plain = sealWith(personal, Buffer.from('{"id":"tr_1"}'));
    for (const tampered of [compressed.slice(0, -'.z1'.length), `${plain}.z1`, `${compressed.slice(0, -1)}9`])
      expect(() => openWith(personal, 'personal', tampered)).toThrow(EnvelopeError);
  });

  it('keeps the z1 dictionary byte for byte: values written with it need it to open', () => {
    // Never change this hash: a new dictionary is a new encoding (crypto/compression.ts).
    expect(createHash('sha256').update(dictionaryOf('z1')).digest('hex')).toBe(
      '200bbcc387da0a18cd055ebbaab0ef411e5ed5c0671abd75a10f551492a751e4',
    );
  });
});
