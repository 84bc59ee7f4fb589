import { type DomainError, domainError } from '../shared/errors.js';

/**
 * The sandbox card rail decides by documented test numbers, as Stripe's test mode does. It is
 * instant: an approved charge is money that has arrived. Real card networks come with live rails.
 */
export const sandbox_cards: Readonly<
  Record<string, { brand: string; outcome: 'approved' | 'declined' | 'insufficient_funds' }>
> = {
  '4242424242424242': { brand: 'visa', outcome: 'approved' },
  '5555555555554444': { brand: 'mastercard', outcome: 'approved' },
  '4000000000000002': { brand: 'visa', outcome: 'declined' },
  '4000000000009995': { brand: 'visa', outcome: 'insufficient_funds' },
};

export interface CardCharge {
  readonly brand: string;
  readonly last4: string;
}

export function chargeSandboxCard(
  number: string,
): { ok: true; value: CardCharge } | { ok: false; error: DomainError } {
  const card = sandbox_cards[number];
  if (card === undefined) {
    const known = Object.keys(sandbox_cards).join(', ');
    return {
      ok: false,
      error: domainError(
        'invalid_request',
        `Test mode accepts the sandbox cards only: ${known}.`,
        'source.number',
      ),
    };
  }
  if (card.outcome === 'declined')
    return { ok: false, error: domainError('card_declined', 'The card was declined.', 'source.number') };
  if (card.outcome === 'insufficient_funds') {
    return {
      ok: false,
      error: domainError(
        'card_declined',
        'The card was declined: insufficient funds on the card.',
        'source.number',
      ),
    };
  }
  return { ok: true, value: { brand: card.brand, last4: number.slice(-4) } };
}
