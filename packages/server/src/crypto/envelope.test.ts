import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type DataKey,
  EnvelopeError,
  isSealed,
  keyedDigestWith,
  openWith,
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
});
