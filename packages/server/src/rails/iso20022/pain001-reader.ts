import { openDocument, readAccount, readDate } from './document.js';
import { checkBatch, pain001_type } from './pain001.js';
import { attempt, type IsoResult, refuse } from './problems.js';
import type { BankAgent, CreditTransfer, CreditTransferBatch } from './types.js';
import { childrenNamed, optionalChild, requiredChild, requiredText, type XmlElement } from './xml-tree.js';

/**
 * Reads a pain.001.001.09 back into a batch, as the sandbox bank does with the file it is handed,
 * and checks it with the same rules the writer applies. It reads the shape `buildPain001` writes
 * (one PmtInf); a file with several payment information blocks is refused.
 */
export function parsePain001(xml: string): IsoResult<CreditTransferBatch> {
  return attempt(() => {
    const { message } = openDocument(xml, { [pain001_type]: 'CstmrCdtTrfInitn' });
    const header = requiredChild(message, 'GrpHdr');
    const blocks = childrenNamed(message, 'PmtInf');
    const block = blocks[0];
    if (block === undefined || blocks.length > 1)
      refuse('invalid_value', `${message.path} must hold exactly one PmtInf.`, message.path);
    const created_at = new Date(requiredText(header, 'CreDtTm'));
    const batch: CreditTransferBatch = {
      message_id: requiredText(header, 'MsgId'),
      created_at,
      requested_execution_date: readDate(requiredChild(block, 'ReqdExctnDt')),
      initiating_party_name: requiredText(requiredChild(header, 'InitgPty'), 'Nm'),
      debtor: {
        name: requiredText(requiredChild(block, 'Dbtr'), 'Nm'),
        account: readAccount(requiredChild(block, 'DbtrAcct')),
        agent: readAgent(requiredChild(block, 'DbtrAgt')),
      },
      payouts: childrenNamed(block, 'CdtTrfTxInf').map(readCreditTransfer),
    };
    const checked = checkBatch(batch);
    if (requiredText(header, 'CtrlSum') !== checked.control_sum)
      refuse('invalid_value', `GrpHdr/CtrlSum is not the sum of the amounts (${checked.control_sum}).`);
    return batch;
  });
}

function readCreditTransfer(transaction: XmlElement): CreditTransfer {
  const amount = requiredChild(requiredChild(transaction, 'Amt'), 'InstdAmt');
  const agent = optionalChild(transaction, 'CdtrAgt');
  const remittance = optionalChild(transaction, 'RmtInf');
  return {
    payout_id: requiredText(requiredChild(transaction, 'PmtId'), 'EndToEndId'),
    amount: amount.text.trim(),
    currency: amount.attributes.get('Ccy') ?? '',
    creditor: {
      name: requiredText(requiredChild(transaction, 'Cdtr'), 'Nm'),
      account: readAccount(requiredChild(transaction, 'CdtrAcct')),
      ...(agent === undefined ? {} : { agent: readAgent(agent) }),
    },
    ...(remittance === undefined ? {} : { remittance_information: requiredText(remittance, 'Ustrd') }),
  };
}

function readAgent(agent: XmlElement): BankAgent {
  const institution = requiredChild(agent, 'FinInstnId');
  if (optionalChild(institution, 'BICFI') !== undefined) return { bic: requiredText(institution, 'BICFI') };
  const member = requiredChild(institution, 'ClrSysMmbId');
  return {
    clearing_system_code: requiredText(requiredChild(member, 'ClrSysId'), 'Cd'),
    member_id: requiredText(member, 'MmbId'),
  };
}
