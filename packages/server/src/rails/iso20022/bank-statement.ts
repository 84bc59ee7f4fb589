import { readAmount } from './amounts.js';
import { openDocument, readAccount, readDate } from './document.js';
import { attempt, type IsoResult, refuse } from './problems.js';
import {
  type BankAccount,
  type BankFileType,
  type CreditDebit,
  type EntryFacts,
  type EntryStatus,
  entry_statuses,
  type OtherEntry,
  type ParsedBankFile,
  type ParsedEntry,
} from './types.js';
import {
  childrenNamed,
  leafText,
  optionalChild,
  optionalText,
  requiredChild,
  requiredText,
  type XmlElement,
} from './xml-tree.js';

/** The message element of each file type we read, and the name of its per-account reports in it. */
const messages: Readonly<Record<BankFileType, string>> = {
  'camt.053.001.08': 'BkToCstmrStmt',
  'camt.054.001.08': 'BkToCstmrDbtCdtNtfctn',
};
const report_names: Readonly<Record<BankFileType, string>> = {
  'camt.053.001.08': 'Stmt',
  'camt.054.001.08': 'Ntfctn',
};

export const bank_entries_per_file_max = 100_000;

/**
 * Reads a bank's camt.054.001.08 notification or camt.053.001.08 statement into the outcomes of our
 * credit transfers. Each transaction in an entry (TxDtls) counts on its own, since a bank may book
 * several in one entry. An outcome is:
 * - `paid`: a debit of our account naming an EndToEndId, without return information;
 * - `returned`: a credit with RtrInf, naming the original EndToEndId and the reason code.
 * Everything else (incoming payments, fees, reversals, entries without an EndToEndId) is listed in
 * `other_entries`, never guessed at. Only a BOOK status is final; a PDNG outcome may still change.
 * One file is one account: a file reporting on several accounts is refused.
 */
export function parseBankStatement(xml: string): IsoResult<ParsedBankFile> {
  return attempt(() => {
    const { type, message } = openDocument(xml, messages);
    const header = requiredChild(message, 'GrpHdr');
    const reports = childrenNamed(message, report_names[type]);
    const first = reports[0];
    if (first === undefined)
      refuse('missing_element', `${message.path} has no ${report_names[type]}.`, message.path);
    const account = readAccount(requiredChild(first, 'Acct'));
    const entries: ParsedEntry[] = [];
    const other_entries: OtherEntry[] = [];
    for (const report of reports) {
      checkSameAccount(account, readAccount(requiredChild(report, 'Acct')), report);
      for (const entry of childrenNamed(report, 'Ntry')) {
        for (const item of readEntry(entry))
          (item.kind === 'other' ? other_entries : entries).push(item.value);
        if (entries.length + other_entries.length > bank_entries_per_file_max)
          refuse('too_large', `The file has more than ${bank_entries_per_file_max} entries.`);
      }
    }
    return {
      message_type: type,
      message_id: requiredText(header, 'MsgId'),
      created_at: requiredText(header, 'CreDtTm'),
      account,
      entries,
      other_entries,
    };
  });
}

function checkSameAccount(expected: BankAccount, found: BankAccount, report: XmlElement): void {
  const same =
    'iban' in expected
      ? 'iban' in found && found.iban === expected.iban
      : 'other_id' in found && found.other_id === expected.other_id;
  if (!same)
    refuse(
      'several_accounts',
      `${report.path} reports on another account; import one account per file.`,
      report.path,
    );
}

type ReadItem = { kind: 'outcome'; value: ParsedEntry } | { kind: 'other'; value: OtherEntry };

function readEntry(entry: XmlElement): ReadItem[] {
  const facts: EntryFacts = {
    ...readAmountAndDirection(entry),
    status: readStatus(requiredChild(entry, 'Sts')),
    booking_date: mapOptional(optionalChild(entry, 'BookgDt'), readDate) ?? null,
    account_servicer_reference: optionalText(entry, 'AcctSvcrRef') ?? null,
  };
  const transactions = childrenNamed(entry, 'NtryDtls').flatMap((details) =>
    childrenNamed(details, 'TxDtls'),
  );
  if (transactions.length === 0) return [{ kind: 'other', value: { ...facts, end_to_end_id: null } }];
  return transactions.map((transaction) => readTransaction(transaction, facts, transactions.length === 1));
}

/**
 * One transaction of an entry. Its amount is its own Amt (or AmtDtls/TxAmt/Amt); only when it is
 * the entry's sole transaction may it fall back to the entry's amount.
 */
function readTransaction(transaction: XmlElement, entry: EntryFacts, sole: boolean): ReadItem {
  const own_amount = optionalChild(transaction, 'Amt') ?? transactionAmount(transaction);
  if (own_amount === undefined && !sole)
    refuse('missing_element', `${transaction.path} has no Amt of its own.`, transaction.path);
  const refs = optionalChild(transaction, 'Refs');
  const end_to_end_id = mapOptional(refs, (element) => optionalText(element, 'EndToEndId')) ?? null;
  const facts: EntryFacts = {
    ...entry,
    ...(own_amount === undefined ? {} : amountOf(own_amount)),
    credit_debit: mapOptional(optionalChild(transaction, 'CdtDbtInd'), readCreditDebit) ?? entry.credit_debit,
    account_servicer_reference:
      mapOptional(refs, (element) => optionalText(element, 'AcctSvcrRef')) ??
      entry.account_servicer_reference,
  };
  const returned = optionalChild(transaction, 'RtrInf');
  if (end_to_end_id === null || end_to_end_id === 'NOTPROVIDED')
    return { kind: 'other', value: { ...facts, end_to_end_id: null } };
  if (returned !== undefined && facts.credit_debit === 'CRDT') {
    const reason = mapOptional(optionalChild(returned, 'Rsn'), reasonCode);
    const value: ParsedEntry = {
      ...facts,
      end_to_end_id,
      kind: 'returned',
      ...(reason === undefined ? {} : { return_reason_code: reason }),
    };
    return { kind: 'outcome', value };
  }
  if (returned === undefined && facts.credit_debit === 'DBIT')
    return { kind: 'outcome', value: { ...facts, end_to_end_id, kind: 'paid' } };
  return { kind: 'other', value: { ...facts, end_to_end_id } };
}

function transactionAmount(transaction: XmlElement): XmlElement | undefined {
  const details = optionalChild(transaction, 'AmtDtls');
  const amount = mapOptional(details, (element) => optionalChild(element, 'TxAmt'));
  return mapOptional(amount, (element) => requiredChild(element, 'Amt'));
}

function readAmountAndDirection(entry: XmlElement): Pick<EntryFacts, 'amount' | 'currency' | 'credit_debit'> {
  return {
    ...amountOf(requiredChild(entry, 'Amt')),
    credit_debit: readCreditDebit(requiredChild(entry, 'CdtDbtInd')),
  };
}

/** An ActiveOrHistoricCurrencyAndAmount: the decimal text and its Ccy attribute. */
function amountOf(amount: XmlElement): { amount: string; currency: string } {
  const currency = amount.attributes.get('Ccy');
  if (currency === undefined || !/^[A-Z]{3}$/.test(currency))
    refuse('invalid_value', `${amount.path} has no valid Ccy attribute.`, amount.path);
  return { amount: readAmount(leafText(amount), amount.path), currency };
}

function readCreditDebit(element: XmlElement): CreditDebit {
  const text = leafText(element);
  if (text !== 'CRDT' && text !== 'DBIT')
    refuse('invalid_value', `${element.path} is "${text}", not CRDT or DBIT.`, element.path);
  return text;
}

/** EntryStatus1Choice: a known code; a proprietary status cannot be trusted to mean booked. */
function readStatus(status: XmlElement): EntryStatus {
  const code = optionalText(status, 'Cd');
  const known = entry_statuses.find((candidate) => candidate === code);
  if (known === undefined) {
    const found = code === undefined ? 'no Cd' : `"${code}"`;
    refuse(
      'invalid_value',
      `${status.path} has ${found}; expected one of ${entry_statuses.join(', ')}.`,
      status.path,
    );
  }
  return known;
}

/** ReturnReason5Choice: the ISO code (AC01, AC04, AM04, ...) or the bank's proprietary reason. */
function reasonCode(reason: XmlElement): string | undefined {
  return optionalText(reason, 'Cd') ?? optionalText(reason, 'Prtry');
}

function mapOptional<T, R>(value: T | undefined, read: (value: T) => R | undefined): R | undefined {
  return value === undefined ? undefined : read(value);
}
