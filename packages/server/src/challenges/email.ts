import { createTransport, type Transporter } from 'nodemailer';
import { assetScale } from '../assets/service.js';
import type { ChallengesConfig } from '../config.js';
import { keyedDigest, open } from '../crypto/keyring.js';
import type { Client, Pool } from '../db/pool.js';
import { formatAmount } from '../shared/money.js';
import { sentCode } from './codes.js';
import type { ChallengeRow } from './service.js';

/** After a failed send, the next try waits 2^failures seconds, at most this long. */
const send_backoff_s_max = 300;

/**
 * Sends the codes of email challenges. The challenge row is its own outbox: `sends` codes are due,
 * `sends_delivered` went out. Each round claims due challenges (FOR UPDATE SKIP LOCKED, so two
 * workers never send one code twice in the normal course), sends, and records each delivery in the
 * same transaction: a crash between the two sends the same code again, never a different one. A
 * send the server refuses (an address it rejects, a server down) backs off for that challenge
 * alone; the others go on. Nothing here holds a lock a payment waits for: the challenge was
 * committed before. Returns how many went out; throws, after committing, if any failed.
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
    const due = await client.query<ChallengeRow>(
      `SELECT * FROM challenges
       WHERE status = 'requires_action' AND channel = 'email' AND sends_delivered < sends AND expires_at > $1
         AND (next_send_at IS NULL OR next_send_at <= $1)
       ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    let delivered = 0;
    const failed: string[] = [];
    for (const challenge of due.rows) {
      const sent = await sendOne(client, smtp.from, transport, challenge).then(
        () => true,
        () => false,
      );
      if (sent) delivered += 1;
      else failed.push(challenge.id);
      await recordSend(client, challenge, sent, now);
    }
    await client.query('COMMIT');
    // The error names the challenges only: the server's message may quote the address.
    if (failed.length > 0) throw new Error(`SMTP refused or failed the codes of ${failed.join(', ')}`);
    return delivered;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function recordSend(db: Client, challenge: ChallengeRow, sent: boolean, now: Date): Promise<void> {
  if (sent) {
    await db.query(
      'UPDATE challenges SET sends_delivered = sends, send_failures = 0, next_send_at = NULL WHERE id = $1',
      [challenge.id],
    );
    return;
  }
  const wait_s = Math.min(2 ** challenge.send_failures, send_backoff_s_max);
  await db.query('UPDATE challenges SET send_failures = send_failures + 1, next_send_at = $2 WHERE id = $1', [
    challenge.id,
    new Date(now.getTime() + wait_s * 1000),
  ]);
}

async function sendOne(
  db: Client,
  from: string,
  transport: Transporter,
  challenge: ChallengeRow,
): Promise<void> {
  if (challenge.destination === null) return;
  const code = sentCode(keyedDigest, challenge.id, challenge.sends);
  await transport.sendMail({
    from,
    to: open('personal', challenge.destination),
    subject: `Your confirmation code: ${code}`,
    text: await codeMessage(db, challenge, code),
  });
}

/** The code, what it confirms (so the holder can tell a payment they did not ask for), and until when. */
async function codeMessage(db: Client, challenge: ChallengeRow, code: string): Promise<string> {
  let purpose = 'to sign in and grant an app access to your wallets';
  if (challenge.amount_minor !== null && challenge.asset !== null) {
    const scale = await assetScale(db, challenge.livemode, challenge.asset, 'currency');
    const amount = formatAmount(BigInt(challenge.amount_minor), scale.ok ? scale.value : 0);
    purpose = `to confirm a payment of ${amount} ${challenge.asset}`;
  }
  return [
    `Your confirmation code is ${code}: ${purpose}.`,
    '',
    `It is valid until ${challenge.expires_at.toISOString()} and works once. If you did not ask for it, do not share it with anyone.`,
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
