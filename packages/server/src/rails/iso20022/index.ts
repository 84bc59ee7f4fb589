/**
 * The ISO 20022 file layer of the file-based bank rail: pure functions from batches to files and
 * from files to outcomes, with no I/O. See docs/iso20022.md.
 */
export { parseBankStatement } from './bank-statement.js';
export { buildCamt054 } from './camt054.js';
export { buildPain001, credit_transfers_per_file_max } from './pain001.js';
export { parsePain001 } from './pain001-reader.js';
export type { IsoError, IsoProblem, IsoResult } from './problems.js';
export type * from './types.js';
export { bank_file_chars_max } from './xml-tree.js';
