import type { FastifyInstance, FastifyRequest } from 'fastify';
import { domainError, HttpProblem } from '../shared/errors.js';

/**
 * JSON bodies use Fastify's parser (which refuses `__proto__` pollution), except that an empty body
 * counts as no body: SDKs commonly send `Content-Type: application/json` on bodiless POSTs such as
 * `/revoke`, and those should not fail as malformed JSON. Any other media type is refused (415),
 * and so is a charset other than UTF-8, which JSON requires (RFC 8259). A field given twice in one
 * object is refused (400): parsers disagree on which one counts, and for a money API an amount or
 * a destination must mean one thing to every party that reads the same request.
 */
export function registerJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    const charset = charsetRefusal(request);
    if (charset !== undefined) return done(new HttpProblem(charset), undefined);
    if (text.trim() === '') return done(null, undefined);
    void parse(request, text, (error: Error | null, value?: unknown) => {
      const duplicate = error === null ? duplicateRefusal(text) : undefined;
      if (duplicate !== undefined) return done(new HttpProblem(duplicate), undefined);
      return error === null ? done(null, value) : done(error, undefined);
    });
  });
  // A bodiless POST (no Content-Type at all) validates as an empty object, like `{}`.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.body === undefined) request.body = {};
  });
}

function charsetRefusal(request: FastifyRequest) {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(request.headers['content-type'] ?? '')?.[1];
  if (charset === undefined || /^utf-?8$/i.test(charset)) return undefined;
  return domainError('unsupported_media_type', 'Send request bodies as application/json in UTF-8.');
}

function duplicateRefusal(text: string) {
  const duplicate = findDuplicateKey(text);
  if (duplicate === undefined) return undefined;
  return domainError(
    'invalid_json',
    `\`${duplicate}\` is given more than once in the same object; send each field once.`,
    duplicate,
  );
}

/** An object being read, with its names so far, or an array with its current index. */
interface Frame {
  readonly keys: Set<string> | undefined;
  name: string;
  index: number;
}

/**
 * The path (`a.b.0.c`) of the first name that repeats within one object, in a JSON text. A single
 * pass over the characters with a stack of open objects, so that any depth costs the same; it only
 * looks for repeats, and leaves every other judgement of the text to the parser.
 */
export function findDuplicateKey(text: string): string | undefined {
  const frames: Frame[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '"') {
      const end = stringEnd(text, i);
      const top = frames.at(-1);
      if (top?.keys !== undefined && followedByColon(text, end)) {
        const name = parsedString(text.slice(i, end));
        if (name !== undefined && top.keys.has(name))
          return [...frames.slice(0, -1).map(step), name].join('.');
        if (name !== undefined) top.keys.add(name);
        top.name = name ?? '';
      }
      i = end;
      continue;
    }
    if (char === '{') frames.push({ keys: new Set(), name: '', index: 0 });
    else if (char === '[') frames.push({ keys: undefined, name: '', index: 0 });
    else if (char === '}' || char === ']') frames.pop();
    else if (char === ',') {
      const top = frames.at(-1);
      if (top?.keys === undefined && top !== undefined) top.index += 1;
    }
    i += 1;
  }
  return undefined;
}

function step(frame: Frame): string {
  return frame.keys === undefined ? String(frame.index) : frame.name;
}

/** The index just past the string literal that opens at `start` (or the end of a cut-off text). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

function followedByColon(text: string, from: number): boolean {
  let i = from;
  while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r') i += 1;
  return text[i] === ':';
}

function parsedString(literal: string): string | undefined {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined; // malformed: the parser refuses the whole text next
  }
}
