import { randomBytes } from 'node:crypto';
import type { Span } from '@opentelemetry/api';
import { carriedAsset, type EvmConfig, evm_network } from '../chain/config.js';
import { evmPayout } from '../chain/payout-address.js';
import type { FxConfig } from '../fx/config.js';
import type { SystemPurpose } from '../ledger/accounts.js';
import type { WriteContext } from '../ledger/context.js';
import { type DomainError, domainError } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { attr, inSpanSync } from '../tracing/spans.js';
import type {
  PayInAccepted,
  PayInRail,
  PaymentSource,
  PayoutAccepted,
  PayoutDestination,
  PayoutRail,
} from './rail.js';
import { last4 } from './rail.js';
import { sandboxBankDebit, sandboxBankPayout } from './sandbox/bank.js';
import { sandbox_cards, sandboxCardCharge, sandboxCardPayout } from './sandbox/cards.js';
import { crypto_networks, sandboxCryptoDeposit, sandboxCryptoPayout } from './sandbox/crypto.js';

/**
 * A request body as it may be stored (a parked request's approval): every card number that no rail
 * here can charge or pay is masked to its last four digits. Only the sandbox's documented test
 * numbers are usable today, and they are public; any other number can only fail, and may be a real
 * card typed into test mode, which Purse must not keep. Executing the stored body later fails on
 * the masked number exactly as the original would have.
 */
export function withoutCardNumbers(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(withoutCardNumbers);
  if (body === null || typeof body !== 'object') return body;
  const entries = Object.entries(body).map(([key, value]) => [key, withoutCardNumbers(value)] as const);
  const masked = Object.fromEntries(entries) as Record<string, unknown>;
  const number = masked.number;
  if (masked.type === 'card' && typeof number === 'string' && sandbox_cards[number] === undefined)
    masked.number = maskedNumber(number);
  return masked;
}

/**
 * A request body as the API shows it again (an approval's request): every card or bank number,
 * sandbox ones included, masked to its last four digits, and no CVC. The stored body is sealed.
 */
export function withMaskedNumbers(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(withMaskedNumbers);
  if (body === null || typeof body !== 'object') return body;
  const entries = Object.entries(body).map(([key, value]) => [key, withMaskedNumbers(value)] as const);
  const masked = Object.fromEntries(entries) as Record<string, unknown>;
  if (masked.type !== 'card' && masked.type !== 'bank_account') return masked;
  for (const field of ['number', 'account_number', 'iban']) {
    const number = masked[field];
    if (typeof number === 'string') masked[field] = maskedNumber(number);
  }
  delete masked.cvc;
  return masked;
}

function maskedNumber(number: string): string {
  return `${'*'.repeat(Math.max(number.length - 4, 0))}${last4(number)}`;
}

/** What a service that talks to rails needs: the request's write context and the rails' settings. */
export interface RailContext extends WriteContext {
  readonly rails: RailsConfig;
}

export type { PayInAccepted, PayInRail, PaymentSource, PayoutAccepted, PayoutDestination, PayoutRail };

/** The platform's own account that live bank payouts are paid from (the pain.001 debtor). */
export interface BankDebtor {
  readonly name: string;
  readonly iban: string;
  readonly bic: string;
}

export interface RailsConfig {
  /** How long each asynchronous sandbox step takes (bank processing, a block confirmation). */
  readonly sandbox_step_ms: number;
  /** Unset: live bank payouts are refused (rail_unavailable). */
  readonly bank_debtor: BankDebtor | undefined;
  /** Rates, quotes and spreads, for conversions and for money that converts on its way (fx/). */
  readonly fx: FxConfig;
  /** Unset: the ethereum network is the sandbox's simulation in test mode and refused in live mode. */
  readonly evm: EvmConfig | undefined;
}

/** Money in transit on a rail lives in its clearing account, so the ledger always balances. */
export function clearingAccount(rail: PayInRail | PayoutRail): SystemPurpose {
  return `rail_clearing:${rail}`;
}

/**
 * Asks the rail for a pay-in, under a span `rail.pay_in`. Test mode is the sandbox; live mode has
 * no card or bank-debit connector yet, so it refuses with rail_unavailable rather than pretend. A
 * deposit on the EVM chain is not asked for: the block watcher records it when it arrives
 * (chain/watch.ts).
 */
export function payIn(
  config: RailsConfig,
  livemode: boolean,
  source: PaymentSource,
  currency: string,
  deposit_address: string,
): Result<PayInAccepted> {
  return inSpanSync('rail.pay_in', railCall(source.type, livemode), (span) =>
    railAnswer(span, askPayIn(config, livemode, source, currency, deposit_address)),
  );
}

/** A rail call's span: which rail, in which mode. */
function railCall(rail: string, livemode: boolean) {
  return { attributes: { [attr.rail]: rail, [attr.livemode]: livemode } };
}

/** What the rail answered, on its span: the status it gave, or the refusal's code. */
function railAnswer<T extends { readonly status: string }>(span: Span, answer: Result<T>): Result<T> {
  if (answer.ok) span.setAttribute(attr.rail_status, answer.value.status);
  else span.setAttribute(attr.problem_code, answer.error.code);
  return answer;
}

function askPayIn(
  config: RailsConfig,
  livemode: boolean,
  source: PaymentSource,
  currency: string,
  deposit_address: string,
): Result<PayInAccepted> {
  if (source.type === 'crypto') {
    const network = cryptoNetwork(config, livemode, source.network, currency, 'source.network');
    if (!network.ok) return network;
    if (network.value === 'evm')
      return fail(
        domainError(
          'invalid_request',
          `Deposits on ${source.network} are recorded when they arrive on chain: send them to the wallet's deposit address (POST /v1/wallets/:id/deposit_addresses).`,
          'source.network',
        ),
      );
    const tx_hash = source.tx_hash ?? `0x${randomBytes(32).toString('hex')}`;
    return ok(sandboxCryptoDeposit(source.network, deposit_address, tx_hash, config.sandbox_step_ms));
  }
  if (livemode)
    return fail(unavailable(`No live ${source.type} rail is configured for pay-ins.`, 'source.type'));
  if (source.type === 'card') {
    const charge = sandboxCardCharge(source.number);
    return charge === undefined ? fail(unknownCard()) : ok(charge);
  }
  return ok(sandboxBankDebit(source.account_number, source.routing_number, config.sandbox_step_ms));
}

/**
 * Which rail carries a crypto network in a mode: the EVM rail wherever a chain is configured for
 * it (test and live alike: the data says which mode a deposit belongs to), else the sandbox's
 * simulation in test mode, else nothing.
 */
export function cryptoNetwork(
  config: RailsConfig,
  livemode: boolean,
  network: string,
  currency: string,
  param: string,
): Result<'evm' | 'sandbox'> {
  const evm = config.evm;
  if (evm !== undefined && network === evm_network) {
    if (carriedAsset(evm, currency) === undefined)
      return fail(
        domainError('currency_mismatch', `The ${network} network does not carry ${currency}.`, param),
      );
    return ok('evm');
  }
  if (livemode) return fail(unavailable(`No live ${network} rail is configured.`, param));
  const sandbox = checkNetwork(network, currency, param);
  return sandbox === undefined ? ok('sandbox') : fail(sandbox);
}

/**
 * Asks the rail for a payout, under a span `rail.pay_out`: the sandbox in test mode, the ISO 20022
 * bank-file rail in live mode, the EVM rail where a chain is configured.
 */
export function payOut(
  config: RailsConfig,
  livemode: boolean,
  destination: PayoutDestination,
  currency: string,
): Result<PayoutAccepted> {
  return inSpanSync('rail.pay_out', railCall(destination.type, livemode), (span) =>
    railAnswer(span, askPayOut(config, livemode, destination, currency)),
  );
}

function askPayOut(
  config: RailsConfig,
  livemode: boolean,
  destination: PayoutDestination,
  currency: string,
): Result<PayoutAccepted> {
  if (destination.type === 'bank_account') {
    const account = destination.iban ?? destination.account_number;
    if (account === undefined || (destination.iban === undefined && destination.routing_number === undefined))
      return fail(
        domainError(
          'invalid_request',
          'A bank account needs an iban, or an account_number with a routing_number.',
          'destination',
        ),
      );
    const view = bankView(destination, account);
    if (!livemode) return ok(sandboxBankPayout(account, view, config.sandbox_step_ms));
    if (config.bank_debtor === undefined)
      return fail(
        unavailable(
          'No bank account is configured to pay out from (PURSE_BANK_DEBTOR_IBAN).',
          'destination.type',
        ),
      );
    return ok({ rail: 'bank_file', status: 'pending', destination_view: view, steps: [] });
  }
  if (destination.type === 'crypto') {
    const network = cryptoNetwork(config, livemode, destination.network, currency, 'destination.network');
    if (!network.ok) return network;
    if (network.value === 'evm') return evmPayout(destination.network, destination.address);
    return ok(sandboxCryptoPayout(destination.network, destination.address, config.sandbox_step_ms));
  }
  if (livemode)
    return fail(
      unavailable(`No live ${destination.type} rail is configured for payouts.`, 'destination.type'),
    );
  const payout = sandboxCardPayout(destination.number, config.sandbox_step_ms);
  return payout === undefined ? fail(unknownCard('destination.number')) : ok(payout);
}

function bankView(
  destination: Extract<PayoutDestination, { type: 'bank_account' }>,
  account: string,
): Record<string, string> {
  const view: Record<string, string> = {
    type: 'bank_account',
    account_holder_name: destination.account_holder_name,
    last4: last4(account),
  };
  if (destination.routing_number !== undefined) view.routing_number = destination.routing_number;
  if (destination.bic !== undefined) view.bic = destination.bic;
  return view;
}

function checkNetwork(network: string, currency: string, param: string): DomainError | undefined {
  const known = crypto_networks[network];
  if (known === undefined)
    return domainError(
      'invalid_request',
      `Unknown network "${network}"; the sandbox has ${Object.keys(crypto_networks).join(', ')}.`,
      param,
    );
  if (!known.assets.includes(currency))
    return domainError('currency_mismatch', `The ${network} network does not carry ${currency}.`, param);
  return undefined;
}

function unknownCard(param = 'source.number'): DomainError {
  const known = Object.keys(sandbox_cards).join(', ');
  return domainError('invalid_request', `Test mode accepts the sandbox cards only: ${known}.`, param);
}

function unavailable(detail: string, param: string): DomainError {
  return domainError('rail_unavailable', detail, param);
}
