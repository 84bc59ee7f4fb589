import { newKekText } from '../crypto/kek.js';

/**
 * This test process's key-encryption key (random, made once per process): its scratch databases'
 * data keys are wrapped by it, and `purse` child processes get it as PURSE_KEK, so a CLI or a server
 * started on a test database opens what the test sealed.
 */
export const test_kek_text = newKekText();
