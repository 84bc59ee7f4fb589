/**
 * The shapes the ISO 20022 file layer reads and writes. Amounts are decimal strings as on the
 * wire ("1234.50"); the functions here turn them into bigint minor units only to add them up.
 */

/** An account at a bank: an IBAN where the country has them, otherwise the bank's own number. */
export type BankAccount = { readonly iban: string } | { readonly other_id: string };

/** A bank, named by its BIC or, where payments are routed by a national code, by that code. */
export type BankAgent =
  | { readonly bic: string }
  | { readonly clearing_system_code: string; readonly member_id: string };

/** One payout to send: `payout_id` travels as the EndToEndId, which the bank reports back. */
export interface CreditTransfer {
  readonly payout_id: string;
  readonly amount: string;
  readonly currency: string;
  readonly creditor: {
    readonly name: string;
    readonly account: BankAccount;
    readonly agent?: BankAgent;
  };
  readonly remittance_information?: string;
}

/** One pain.001 file: every payout is debited from one account in one currency on one date. */
export interface CreditTransferBatch {
  /** MsgId, also used as the one PmtInfId: unique per file, at most 35 characters. */
  readonly message_id: string;
  readonly created_at: Date;
  /** ReqdExctnDt as YYYY-MM-DD. */
  readonly requested_execution_date: string;
  readonly initiating_party_name: string;
  readonly debtor: {
    readonly name: string;
    readonly account: BankAccount;
    readonly agent: BankAgent;
  };
  readonly payouts: readonly CreditTransfer[];
}

export type CreditDebit = 'CRDT' | 'DBIT';

/** ExternalEntryStatus1Code: only BOOK is final; PDNG may still change; INFO and FUTR are notices. */
export type EntryStatus = 'BOOK' | 'PDNG' | 'INFO' | 'FUTR';

export const entry_statuses: readonly EntryStatus[] = ['BOOK', 'PDNG', 'INFO', 'FUTR'];

/** What the bank says happened to one credit transfer, for the sandbox bank to report. */
export type NotifiedOutcome =
  | { readonly outcome: 'paid' }
  | { readonly outcome: 'returned'; readonly return_reason_code: string };

export type NotificationEntry = NotifiedOutcome & {
  readonly end_to_end_id: string;
  readonly amount: string;
  readonly currency: string;
  /** Defaults to BOOK. A pending entry carries no booking date. */
  readonly status?: EntryStatus;
  /** YYYY-MM-DD; required unless the entry is pending. */
  readonly booking_date?: string;
  readonly account_servicer_reference: string;
};

/** A camt.054 the sandbox bank sends about one account. */
export interface BankNotification {
  readonly message_id: string;
  readonly created_at: Date;
  readonly account: BankAccount;
  readonly entries: readonly NotificationEntry[];
}

export type BankFileType = 'camt.053.001.08' | 'camt.054.001.08';

/** Facts of one booked or notified movement, whatever it was for. */
export interface EntryFacts {
  /** As the bank wrote it, without leading zeros: compare with `parseAmount(amount, scale)`. */
  readonly amount: string;
  readonly currency: string;
  readonly credit_debit: CreditDebit;
  readonly status: EntryStatus;
  /** YYYY-MM-DD, or null when the bank gave none (usual for pending entries). */
  readonly booking_date: string | null;
  readonly account_servicer_reference: string | null;
}

/** The outcome of one of our credit transfers: paid (our debit) or returned (a credit with RtrInf). */
export type ParsedEntry = EntryFacts & {
  readonly end_to_end_id: string;
} & ({ readonly kind: 'paid' } | { readonly kind: 'returned'; readonly return_reason_code?: string });

/** An entry that is no outcome of a credit transfer we sent: an incoming payment, a fee, a reversal. */
export type OtherEntry = EntryFacts & { readonly end_to_end_id: string | null };

export interface ParsedBankFile {
  readonly message_type: BankFileType;
  readonly message_id: string;
  /** GrpHdr/CreDtTm as the bank wrote it (ISO 8601). */
  readonly created_at: string;
  readonly account: BankAccount;
  readonly entries: readonly ParsedEntry[];
  readonly other_entries: readonly OtherEntry[];
}
