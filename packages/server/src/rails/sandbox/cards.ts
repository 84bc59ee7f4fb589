import type { FailureCode } from '../failure-codes.js';
import { accepted, last4, type PayInAccepted, type PayoutAccepted } from '../rail.js';

/**
 * The sandbox card rail decides by documented test numbers (docs/rails.md). Charges are instant:
 * approved money has arrived, a decline is a failed payment. Card payouts are accepted (in transit) at
 * once and paid a sandbox step later (or failed, for the declining card).
 */
export const sandbox_cards: Readonly<Record<string, { brand: string; decline?: FailureCode }>> = {
  '4242424242424242': { brand: 'visa' },
  '5555555555554444': { brand: 'mastercard' },
  '4000000000000002': { brand: 'visa', decline: 'card_declined' },
  '4000000000009995': { brand: 'visa', decline: 'card_insufficient_funds' },
};

export function sandboxCardCharge(number: string): PayInAccepted | undefined {
  const card = sandbox_cards[number];
  if (card === undefined) return undefined;
  const source_view = { type: 'card', brand: card.brand, last4: last4(number) };
  return card.decline === undefined
    ? { status: 'succeeded', source_view, steps: [] }
    : { status: 'failed', failure_code: card.decline, source_view, steps: [] };
}

export function sandboxCardPayout(number: string, step_ms: number): PayoutAccepted | undefined {
  const card = sandbox_cards[number];
  if (card === undefined) return undefined;
  const outcome =
    card.decline === undefined
      ? { after_ms: step_ms, status: 'paid' }
      : { after_ms: step_ms, status: 'failed', failure_code: card.decline };
  return {
    rail: 'card',
    status: 'pending',
    destination_view: { type: 'card', brand: card.brand, last4: last4(number) },
    steps: [accepted, outcome],
  };
}
