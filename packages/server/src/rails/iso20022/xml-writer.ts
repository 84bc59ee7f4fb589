import XMLBuilder from 'fast-xml-builder';
import type { BankAccount, BankAgent } from './types.js';

/**
 * An element's content as fast-xml-builder takes it: text, or child elements in schema order
 * (object keys keep insertion order), an array for a repeated element, `@name` for an attribute
 * and `#` for text beside attributes. Undefined children are left out, so optional elements read
 * as such.
 */
export type XmlContent = string | { readonly [name: string]: XmlContent | readonly XmlContent[] | undefined };

export const iso_namespace_prefix = 'urn:iso:std:iso:20022:tech:xsd:';

/**
 * Escapes every `&`, `<`, `>` and quote in text and attributes, always: a value that looks like
 * an entity reference ("AT&T;") is text too. (xmlbuilder2 was tried first and passes such values
 * through unescaped; the property test in schema.test.ts caught it.)
 */
const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#',
  format: true,
  indentBy: '  ',
  processEntities: true,
});

/** Writes `<Document xmlns="urn:iso:...:<message_type>">` around one message. */
export function writeDocument(
  message_type: string,
  content: { readonly [name: string]: XmlContent },
): string {
  const document = {
    '?xml': { '@version': '1.0', '@encoding': 'UTF-8' },
    Document: { '@xmlns': `${iso_namespace_prefix}${message_type}`, ...content },
  };
  return builder.build(withoutUndefined(document));
}

function withoutUndefined(content: XmlContent | readonly XmlContent[]): unknown {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(withoutUndefined);
  return Object.fromEntries(
    Object.entries(content)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, withoutUndefined(value as XmlContent)]),
  );
}

/** CashAccount38/39 Id: AccountIdentification4Choice. */
export function accountId(account: BankAccount): XmlContent {
  return 'iban' in account ? { IBAN: account.iban } : { Othr: { Id: account.other_id } };
}

/** BranchAndFinancialInstitutionIdentification6. */
export function agentContent(agent: BankAgent): XmlContent {
  if ('bic' in agent) return { FinInstnId: { BICFI: agent.bic } };
  return {
    FinInstnId: { ClrSysMmbId: { ClrSysId: { Cd: agent.clearing_system_code }, MmbId: agent.member_id } },
  };
}

/** CreDtTm: ISODateTime in UTC with milliseconds, so a Date survives the round trip exactly. */
export function isoDateTime(date: Date): string {
  return date.toISOString();
}
