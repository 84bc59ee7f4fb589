import { createTransport, type Transporter } from 'nodemailer';
import type { ChallengesConfig } from '../config.js';
import { keyedHash } from '../crypto/keyring.js';
import type { Client, Pool } from '../db/pool.js';
import { getHolder } from '../holders/service.js';
import { sentCode } from './codes.js';

/**
 * Sends the codes of email challenges. The challenge row is its own outbox: `sends` codes are due,
 * `sends_delivered` went out. Each round claims undelivered challenges (FOR UPDATE SKIP LOCKED, so
 * two workers never send one code twice in the normal course), sends, and records the delivery in
 * the same transaction: a crash between the two sends the same code again, never a different one.
 * Nothing here holds a lock a payment waits for: the challenge was committed before.
 */
export async function sendDueCodes(
  pool: Pool,
  config: ChallengesConfig,
  transport: Transporter,
  now: Date,
  limit: number,
): Promise<number> {
  const smtp = config.smtp;
  if (smtp === undefined) return 0;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const due = await client.query<{
      id: string;
      livemode: boolean;
      holder_id: string;
      sends: number;
      expires_at: Date;
    }>(
      `SELECT id, livemode, holder_id, sends, expires_at FROM challenges
       WHERE status = 'requires_action' AND channel = 'email' AND sends_delivered < sends AND expires_at > $1
       ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    let delivered = 0;
    let failure: unknown;
    for (const challenge of due.rows) {
      try {
        await sendOne(client, smtp.from, transport, challenge);
      } catch (error) {
        // The rest wait for the next round; what went out is recorded, and the worker logs this.
        failure = error;
        break;
      }
      await client.query('UPDATE challenges SET sends_delivered = sends WHERE id = $1', [challenge.id]);
      delivered += 1;
    }
    await client.query('COMMIT');
    if (failure !== undefined) throw failure;
    return delivered;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function sendOne(
  db: Client,
  from: string,
  transport: Transporter,
  challenge: { id: string; livemode: boolean; holder_id: string; sends: number; expires_at: Date },
): Promise<void> {
  const holder = await getHolder(db, challenge.livemode, challenge.holder_id);
  const to = holder.ok ? holder.value.email : null;
  // A holder whose address was removed since gets nothing; the challenge can still be resent.
  if (to === null) return;
  const code = sentCode(keyedHash, challenge.id, challenge.sends);
  await transport.sendMail({
    from,
    to,
    subject: `Your confirmation code: ${code}`,
    text: codeMessage(code, challenge.expires_at),
  });
}

function codeMessage(code: string, expires_at: Date): string {
  return [
    `Your confirmation code is ${code}.`,
    '',
    `It is valid until ${expires_at.toISOString()} and works once. If you did not ask for it, do not share it.`,
  ].join('\n');
}

/** One SMTP transport per worker process, with bounded waits. */
export function smtpTransport(config: ChallengesConfig): Transporter | undefined {
  if (config.smtp === undefined) return undefined;
  return createTransport({
    url: config.smtp.url,
    connectionTimeout: config.smtp_timeout_ms,
    greetingTimeout: config.smtp_timeout_ms,
    socketTimeout: config.smtp_timeout_ms,
  });
}
