import { checkAmount } from './amounts.js';
import { checkAccount, checkCode, checkCurrency, checkDate, checkId } from './fields.js';
import { attempt, type IsoResult, refuse } from './problems.js';
import type { BankNotification, NotificationEntry } from './types.js';
import { accountId, isoDateTime, writeDocument, type XmlContent } from './xml-writer.js';

export const camt054_type = 'camt.054.001.08';

/**
 * Writes a camt.054.001.08 BankToCustomerDebitCreditNotification as a bank would about payouts it
 * received in a pain.001, so tests and the sandbox can play the bank. A paid payout is our debit
 * (PMNT/ICDT, an issued credit transfer); a returned one is a credit back to us (PMNT/ICDT/RRTN,
 * reversal due to a payment return) whose transaction details carry RtrInf with the reason code.
 */
export function buildCamt054(notification: BankNotification): IsoResult<string> {
  return attempt(() => {
    checkNotification(notification);
    const created_at = isoDateTime(notification.created_at);
    return writeDocument(camt054_type, {
      BkToCstmrDbtCdtNtfctn: {
        GrpHdr: { MsgId: notification.message_id, CreDtTm: created_at },
        Ntfctn: {
          Id: notification.message_id,
          CreDtTm: created_at,
          Acct: { Id: accountId(notification.account) },
          Ntry: notification.entries.map(entryContent),
        },
      },
    });
  });
}

function entryContent(entry: NotificationEntry): XmlContent {
  const amount = { '@Ccy': entry.currency, '#': entry.amount };
  const credit_debit = entry.outcome === 'paid' ? 'DBIT' : 'CRDT';
  return {
    Amt: amount,
    CdtDbtInd: credit_debit,
    Sts: { Cd: entry.status ?? 'BOOK' },
    BookgDt: entry.booking_date === undefined ? undefined : { Dt: entry.booking_date },
    AcctSvcrRef: entry.account_servicer_reference,
    BkTxCd: {
      Domn: {
        Cd: 'PMNT',
        Fmly: { Cd: 'ICDT', SubFmlyCd: entry.outcome === 'paid' ? paidSubFamily(entry.currency) : 'RRTN' },
      },
    },
    NtryDtls: {
      TxDtls: {
        Refs: { EndToEndId: entry.end_to_end_id },
        Amt: amount,
        CdtDbtInd: credit_debit,
        RtrInf: entry.outcome === 'paid' ? undefined : { Rsn: { Cd: entry.return_reason_code } },
      },
    },
  };
}

/** ESCT (SEPA credit transfer) for euros, DMCT (domestic credit transfer) otherwise. */
function paidSubFamily(currency: string): string {
  return currency === 'EUR' ? 'ESCT' : 'DMCT';
}

function checkNotification(notification: BankNotification): void {
  checkId(notification.message_id, 'message_id');
  checkAccount(notification.account, 'account');
  if (Number.isNaN(notification.created_at.getTime()))
    refuse('invalid_field', 'created_at is not a date.', 'created_at');
  notification.entries.forEach((entry, index) => {
    const param = `entries[${index}]`;
    checkId(entry.end_to_end_id, `${param}.end_to_end_id`);
    checkAmount(entry.amount, `${param}.amount`);
    checkCurrency(entry.currency, `${param}.currency`);
    checkId(entry.account_servicer_reference, `${param}.account_servicer_reference`);
    if (entry.booking_date !== undefined) checkDate(entry.booking_date, `${param}.booking_date`);
    else if ((entry.status ?? 'BOOK') === 'BOOK')
      refuse(
        'invalid_field',
        `${param}.booking_date is required for a booked entry.`,
        `${param}.booking_date`,
      );
    if (entry.outcome === 'returned') checkCode(entry.return_reason_code, `${param}.return_reason_code`);
  });
}
