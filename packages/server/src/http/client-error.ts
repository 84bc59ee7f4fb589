import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { type DomainError, domainError } from '../shared/errors.js';
import { problem_content_type, problemBody } from './problem.js';
import { generateRequestId } from './request-id.js';

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refused the bytes (a NUL or DEL in a header,
 * a malformed request line or chunk), the request did not arrive within `headers_timeout_ms` or
 * `request_timeout_ms`, or its headers overflowed. No route ran and there is no request object, so
 * the answer is written to the socket by hand, as a problem document like every other error, and
 * the connection is closed (the parser cannot go on after an error).
 */
export function answerClientError(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
): void {
  // A reset connection has nowhere to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const problem = clientProblem(error.code);
  this.log.debug({ err: error, code: problem.code }, 'client error');
  if (socket.writable && !responseStarted(socket)) socket.write(rawProblem(problem));
  socket.destroy();
}

function clientProblem(code: string | undefined): DomainError {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return domainError('request_timeout', 'The request headers or body did not arrive in time.');
  if (code === 'HPE_HEADER_OVERFLOW')
    return domainError('headers_too_large', 'The request headers are larger than this server accepts.');
  return domainError(
    'malformed_request',
    'The request is not valid HTTP/1.1 (a control character in a header, a malformed request line or body framing).',
  );
}

/** The whole HTTP response, status line to body. */
function rawProblem(problem: DomainError): string {
  const request_id = generateRequestId();
  const body = problemBody(problem, request_id);
  const text = JSON.stringify(body);
  return [
    `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status] ?? ''}`,
    `Content-Type: ${problem_content_type}`,
    `Content-Length: ${Buffer.byteLength(text)}`,
    `Request-Id: ${request_id}`,
    'Connection: close',
    '',
    text,
  ].join('\r\n');
}

/**
 * Whether a response on this socket already sent its status line (an error on a pipelined request
 * while an earlier one is being answered): a second one would corrupt it. Node's own default
 * handler makes the same check, on the same internal field.
 */
function responseStarted(socket: Socket): boolean {
  const message = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  return message?.headersSent === true;
}
