import { checkAmount, controlSum } from './amounts.js';
import { checkAccount, checkAgent, checkCurrency, checkDate, checkId, checkText } from './fields.js';
import { attempt, type IsoResult, refuse } from './problems.js';
import type { CreditTransfer, CreditTransferBatch } from './types.js';
import { accountId, agentContent, isoDateTime, writeDocument, type XmlContent } from './xml-writer.js';

export const pain001_type = 'pain.001.001.09';

/** A bank takes thousands of transfers per file; past this the rail should split the batch. */
export const credit_transfers_per_file_max = 10_000;

/**
 * Writes one batch of payouts as a pain.001.001.09 CustomerCreditTransferInitiation: one payment
 * information block (one debtor account, one date) with one credit transfer per payout. Batch
 * booking is off, so the bank books and reports each payout as its own entry and a return names
 * exactly one payout. Charges are shared (SLEV, the service-level default).
 */
export function buildPain001(batch: CreditTransferBatch): IsoResult<string> {
  return attempt(() => {
    const checked = checkBatch(batch);
    const summary = { NbOfTxs: String(checked.payouts.length), CtrlSum: checked.control_sum };
    return writeDocument(pain001_type, {
      CstmrCdtTrfInitn: {
        GrpHdr: {
          MsgId: checked.message_id,
          CreDtTm: isoDateTime(checked.created_at),
          ...summary,
          InitgPty: { Nm: checked.initiating_party_name },
        },
        PmtInf: {
          PmtInfId: checked.message_id,
          PmtMtd: 'TRF',
          BtchBookg: 'false',
          ...summary,
          ReqdExctnDt: { Dt: checked.requested_execution_date },
          Dbtr: { Nm: checked.debtor.name },
          DbtrAcct: { Id: accountId(checked.debtor.account), Ccy: checked.currency },
          DbtrAgt: agentContent(checked.debtor.agent),
          ChrgBr: 'SLEV',
          CdtTrfTxInf: checked.payouts.map(creditTransferContent),
        },
      },
    });
  });
}

function creditTransferContent(payout: CreditTransfer): XmlContent {
  const { creditor } = payout;
  return {
    PmtId: { EndToEndId: payout.payout_id },
    Amt: { InstdAmt: { '@Ccy': payout.currency, '#': payout.amount } },
    CdtrAgt: creditor.agent === undefined ? undefined : agentContent(creditor.agent),
    Cdtr: { Nm: creditor.name },
    CdtrAcct: { Id: accountId(creditor.account) },
    RmtInf:
      payout.remittance_information === undefined ? undefined : { Ustrd: payout.remittance_information },
  };
}

type CheckedBatch = CreditTransferBatch & { readonly currency: string; readonly control_sum: string };

/** Every check of a batch, refusing the first bad field by its path (`payouts[2].creditor.name`). */
export function checkBatch(batch: CreditTransferBatch): CheckedBatch {
  const { payouts } = batch;
  if (payouts.length === 0) refuse('invalid_field', 'A batch needs at least one payout.', 'payouts');
  if (payouts.length > credit_transfers_per_file_max)
    refuse('too_large', `A file holds at most ${credit_transfers_per_file_max} payouts.`, 'payouts');
  if (Number.isNaN(batch.created_at.getTime()))
    refuse('invalid_field', 'created_at is not a date.', 'created_at');
  checkId(batch.message_id, 'message_id');
  checkDate(batch.requested_execution_date, 'requested_execution_date');
  checkText(batch.initiating_party_name, 140, 'initiating_party_name');
  checkText(batch.debtor.name, 140, 'debtor.name');
  checkAccount(batch.debtor.account, 'debtor.account');
  checkAgent(batch.debtor.agent, 'debtor.agent');
  const currency = checkCurrency(payouts[0]?.currency ?? '', 'payouts[0].currency');
  const seen = new Set<string>();
  const amounts = payouts.map((payout, index) => {
    const param = `payouts[${index}]`;
    checkId(payout.payout_id, `${param}.payout_id`);
    if (seen.has(payout.payout_id))
      refuse('invalid_field', `${param}.payout_id repeats an earlier payout.`, `${param}.payout_id`);
    seen.add(payout.payout_id);
    if (payout.currency !== currency)
      refuse('invalid_field', `${param}.currency differs from the batch's ${currency}.`, `${param}.currency`);
    checkText(payout.creditor.name, 140, `${param}.creditor.name`);
    checkAccount(payout.creditor.account, `${param}.creditor.account`);
    if (payout.creditor.agent !== undefined) checkAgent(payout.creditor.agent, `${param}.creditor.agent`);
    if (payout.remittance_information !== undefined)
      checkText(payout.remittance_information, 140, `${param}.remittance_information`);
    return checkAmount(payout.amount, `${param}.amount`);
  });
  return { ...batch, currency, control_sum: controlSum(amounts, 'payouts') };
}
