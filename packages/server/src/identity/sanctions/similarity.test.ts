import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jaroWinkler, legal_forms, nameSimilarity, normalizeName } from './similarity.js';

const word = fc.stringMatching(/^[a-z]{2,10}$/);
const name = fc.array(word, { minLength: 1, maxLength: 4 }).map((words) => words.join(' '));

describe('name similarity', () => {
  it('gives the published Jaro-Winkler values of the classic pairs', () => {
    expect(jaroWinkler('MARTHA', 'MARHTA')).toBeCloseTo(0.961, 3);
    expect(jaroWinkler('DWAYNE', 'DUANE')).toBeCloseTo(0.84, 2);
    expect(jaroWinkler('DIXON', 'DICKSONX')).toBeCloseTo(0.813, 3);
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
  });

  it('is between 0 and 1, and 1 for a name and itself', () => {
    fc.assert(
      fc.property(name, name, (a, b) => {
        const score = nameSimilarity(a, b);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1 + 1e-12);
        expect(nameSimilarity(a, a)).toBe(1);
      }),
    );
  });

  it('ignores word order, case, accents and punctuation', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 4 }), (words) => {
        const plain = words.join(' ');
        const shuffled = `${[...words].reverse().join(', ').toUpperCase()}.`;
        expect(nameSimilarity(plain, shuffled)).toBe(1);
      }),
    );
    expect(normalizeName('PETROVÁ, Ivana-María')).toBe('ivana maria petrova');
    expect(nameSimilarity('Zoë Ødegård', 'zoe odegard')).toBeLessThan(1); // ø is a letter, not o plus a mark
    expect(nameSimilarity('Zoë Muñoz', 'ZOE MUNOZ')).toBe(1);
  });

  it('keeps a one-letter change of a long name close, and a different name far', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z]{8,12}$/),
        // Letters each once: in a word like "aababcaa" Jaro pairs the repeated letters across the
        // change and counts transpositions, so one changed letter can cost more than 0.1.
        fc
          .uniqueArray(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), { minLength: 8, maxLength: 12 })
          .map((letters) => letters.join('')),
        fc.nat(),
        (first, last, at) => {
          // One letter of the last name changed (a changed space would join two words).
          const i = at % last.length;
          const typo = `${last.slice(0, i)}${last[i] === 'q' ? 'z' : 'q'}${last.slice(i + 1)}`;
          expect(nameSimilarity(`${first} ${last}`, `${first} ${typo}`)).toBeGreaterThanOrEqual(0.9);
        },
      ),
    );
    expect(nameSimilarity('Ada Lovelace', 'Ilya Vortanis')).toBeLessThan(0.7);
  });

  it('finds a listed name whatever its word boundaries, invisible characters or added words', () => {
    // A cut that leaves a legal form on one side ("llc" + "aaaaaa") rightly drops that side as a
    // company suffix: such words are not what this property is about.
    const legalFormPart = (word: string) =>
      [...legal_forms].some((form) => word.startsWith(form) || word.endsWith(form));
    const long_word = fc.stringMatching(/^[a-z]{6,10}$/).filter((word) => !legalFormPart(word));
    fc.assert(
      fc.property(fc.array(long_word, { minLength: 1, maxLength: 3 }), fc.nat(), fc.nat(), (words, w, at) => {
        const listed = words.join(' ');
        const i = w % words.length;
        const word = words[i] ?? '';
        const cut = 3 + (at % (word.length - 5));
        const with_word = (replacement: string) =>
          words.map((one, k) => (k === i ? replacement : one)).join(' ');
        for (const sep of [' ', '-', '\u00ad', '\u200b'])
          expect(nameSimilarity(with_word(`${word.slice(0, cut)}${sep}${word.slice(cut)}`), listed)).toBe(1);
        // Two words joined, repeated, or more words given than listed: the listed name is covered whole.
        const [first = '', second = '', ...rest] = words;
        expect(nameSimilarity([`${first}${second}`, ...rest].join(' '), listed)).toBe(1);
        expect(nameSimilarity(`${listed} ${listed}`, listed)).toBe(1);
        expect(nameSimilarity(`${listed} maria smith`, listed)).toBe(1);
      }),
    );
  });

  it('folds Cyrillic and Greek lookalike letters to Latin', () => {
    expect(normalizeName('\u0406l\u0443\u0430 V\u043ert\u0430n\u0456s')).toBe('ilya vortanis');
    expect(normalizeName('\u039f\u0394\u0399\u039d\u0391')).not.toBe('odina'); // a real Greek Δ stays
    expect(nameSimilarity('\u039fdina \u039aestrell', 'KESTRELL, Odina')).toBe(1);
  });

  it('is 0 for a name with no letters or digits', () => {
    expect(nameSimilarity('...', 'Ada')).toBe(0);
  });
});
