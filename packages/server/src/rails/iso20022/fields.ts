import { refuse } from './problems.js';
import type { BankAccount, BankAgent } from './types.js';

/**
 * Checks of the values that go into a file, each named for the ISO 20022 data type it enforces.
 * Text is limited to the Basic Latin set (printable ASCII, U+0020 to U+007E) that every bank
 * accepts; `&`, `<`, `>`, quotes are allowed and the XML writer escapes them. Transliterating other
 * scripts is the caller's choice, not something to do silently here.
 */
const basic_latin = /^[\x20-\x7e]*$/;

/** MaxNText: 1 to `length_max` Basic Latin characters, no space at either end (parsers trim it). */
export function checkText(value: string, length_max: number, param: string): string {
  if (value.length === 0) refuse('invalid_field', `${param} must not be empty.`, param);
  if (value.length > length_max)
    refuse('invalid_field', `${param} is longer than ${length_max} characters.`, param);
  if (!basic_latin.test(value))
    refuse('invalid_field', `${param} may hold only Basic Latin characters (printable ASCII).`, param);
  if (value.trim() !== value) refuse('invalid_field', `${param} must not start or end with a space.`, param);
  return value;
}

/** Max35Text identifiers (MsgId, EndToEndId, ...). */
export function checkId(value: string, param: string): string {
  return checkText(value, 35, param);
}

function checkPattern(value: string, pattern: RegExp, what: string, param: string): string {
  if (!pattern.test(value)) refuse('invalid_field', `${param} is not ${what}.`, param);
  return value;
}

export function checkCurrency(value: string, param: string): string {
  return checkPattern(value, /^[A-Z]{3}$/, 'an ISO 4217 currency code such as "EUR"', param);
}

/** ISODate: a real calendar date as YYYY-MM-DD. */
export function checkDate(value: string, param: string): string {
  const valid =
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
    new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);
  if (!valid) refuse('invalid_field', `${param} is not a date as YYYY-MM-DD.`, param);
  return value;
}

/** ExternalReturnReason1Code and other external codes: 1 to 4 upper-case letters or digits. */
export function checkCode(value: string, param: string): string {
  return checkPattern(value, /^[A-Z0-9]{1,4}$/, 'a code of 1 to 4 capital letters or digits', param);
}

const bic_pattern = /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

/** IBAN2007Identifier, and its ISO 13616 check digits (mod 97 of the rearranged number is 1). */
export function checkIban(value: string, param: string): string {
  checkPattern(value, /^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/, 'an IBAN in electronic form (no spaces)', param);
  const rearranged = value.slice(4) + value.slice(0, 4);
  const digits = [...rearranged].map((char) => Number.parseInt(char, 36).toString()).join('');
  if (BigInt(digits) % 97n !== 1n) refuse('invalid_field', `${param} has wrong IBAN check digits.`, param);
  return value;
}

export function checkAccount(account: BankAccount, param: string): BankAccount {
  if ('iban' in account) return { iban: checkIban(account.iban, `${param}.iban`) };
  return { other_id: checkText(account.other_id, 34, `${param}.other_id`) };
}

export function checkAgent(agent: BankAgent, param: string): BankAgent {
  if ('bic' in agent) {
    return { bic: checkPattern(agent.bic, bic_pattern, 'a BIC of 8 or 11 characters', `${param}.bic`) };
  }
  return {
    clearing_system_code: checkPattern(
      agent.clearing_system_code,
      /^[A-Z0-9]{1,5}$/,
      'a clearing system code such as "USABA"',
      `${param}.clearing_system_code`,
    ),
    member_id: checkId(agent.member_id, `${param}.member_id`),
  };
}
