import { refuse } from './problems.js';
import type { BankAccount } from './types.js';
import { optionalChild, parseXml, requiredChild, requiredText, type XmlElement } from './xml-tree.js';
import { iso_namespace_prefix } from './xml-writer.js';

/**
 * Opens an ISO 20022 document of one of `accepted` message types (type => the message element's
 * name), refusing anything else by name: a root other than Document, a namespace that is not
 * ISO 20022 or a version we do not read, or a Document without its message element.
 */
export function openDocument<T extends string>(
  xml: string,
  accepted: Readonly<Record<T, string>>,
): { type: T; message: XmlElement } {
  const root = parseXml(xml);
  if (root.local !== 'Document')
    refuse('unknown_message', `The root element is ${root.local}, not an ISO 20022 Document.`, root.path);
  const type = root.uri.startsWith(iso_namespace_prefix) ? root.uri.slice(iso_namespace_prefix.length) : '';
  if (!Object.hasOwn(accepted, type)) {
    const known = Object.keys(accepted).join(', ');
    const found = root.uri === '' ? 'no namespace' : `namespace "${root.uri}"`;
    refuse('unknown_namespace', `The Document has ${found}; this reads ${known}.`, root.path);
  }
  const message_type = type as T;
  return { type: message_type, message: requiredChild(root, accepted[message_type]) };
}

/** Id of a CashAccount: AccountIdentification4Choice, an IBAN or Othr/Id. */
export function readAccount(account: XmlElement): BankAccount {
  const id = requiredChild(account, 'Id');
  const iban = optionalChild(id, 'IBAN');
  if (iban !== undefined) return { iban: requiredText(id, 'IBAN') };
  const other = optionalChild(id, 'Othr');
  if (other === undefined) refuse('missing_element', `${id.path} has neither IBAN nor Othr.`, id.path);
  return { other_id: requiredText(other, 'Id') };
}

/** A DateAndDateTime2Choice as YYYY-MM-DD: the date itself, or the date part of the date-time. */
export function readDate(choice: XmlElement): string {
  const date = optionalChild(choice, 'Dt') ?? optionalChild(choice, 'DtTm');
  if (date === undefined) refuse('missing_element', `${choice.path} has neither Dt nor DtTm.`, choice.path);
  const text = requiredText(choice, date.local);
  const day = /^(\d{4}-\d{2}-\d{2})/.exec(text)?.[1];
  if (day === undefined) refuse('invalid_value', `${date.path} is not an ISO date: "${text}".`, date.path);
  return day;
}
