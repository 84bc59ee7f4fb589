import { attempt, type IsoResult, refuse } from '../rails/iso20022/problems.js';
import { parseXml, type XmlElement } from '../rails/iso20022/xml-tree.js';
import { type Decimal, parseRate } from './decimal.js';

/** One rate a source published: units of `quote` per unit of `base`, as of a time. */
export interface PublishedRate {
  readonly base: string;
  readonly quote: string;
  readonly rate: Decimal;
  readonly as_of: Date;
}

const ecb_namespace = 'http://www.ecb.int/vocabulary/2002-08-01/eurofxref';

/**
 * The ECB publishes its euro reference rates once a working day at about 16:00 CET: 15:00 UTC in
 * winter, 14:00 in summer. The file carries only the date; the earlier hour is recorded, so that a
 * file just published is never dated in the future.
 */
const ecb_publication_utc = 'T14:00:00Z';

/**
 * Reads the ECB's euro foreign exchange reference-rate file (eurofxref-daily.xml, or the 90-day
 * and historical files, which hold one dated Cube per day): every rate is EUR → currency. A file
 * that is not well-formed, has a DOCTYPE, or holds a rate that is not a positive decimal is
 * refused whole: a half-read rate file would quote from a partial picture.
 */
export function parseEcbRates(xml: string): IsoResult<PublishedRate[]> {
  return attempt(() => {
    const root = parseXml(xml);
    const outer = root.children.find((child) => child.local === 'Cube' && child.uri === ecb_namespace);
    if (outer === undefined) refuse('unknown_message', 'This is not an ECB reference-rate file (no Cube).');
    return outer.children.filter((child) => child.local === 'Cube').flatMap(ratesOfDay);
  });
}

function ratesOfDay(day: XmlElement): PublishedRate[] {
  const date = day.attributes.get('time') ?? '';
  const as_of = new Date(`${date}${ecb_publication_utc}`);
  // A date that does not read back as written (2026-02-31) is refused, not rolled over.
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(date) ||
    Number.isNaN(as_of.getTime()) ||
    as_of.toISOString().slice(0, 10) !== date
  )
    refuse('invalid_value', `${day.path} has no valid time.`, day.path);
  return day.children
    .filter((cube) => cube.local === 'Cube')
    .map((cube) => {
      const currency = cube.attributes.get('currency') ?? '';
      const rate = parseRate(cube.attributes.get('rate') ?? '');
      if (!/^[A-Z]{3}$/.test(currency) || currency === 'EUR' || rate === undefined)
        refuse(
          'invalid_value',
          `${cube.path} needs a currency code other than EUR and a positive rate.`,
          cube.path,
        );
      return { base: 'EUR', quote: currency, rate, as_of };
    });
}
