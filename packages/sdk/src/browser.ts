/**
 * The client for a browser page (the dashboard): everything of the package's main entry except
 * webhook verification, which needs Node's crypto and belongs on a server anyway.
 */
export { type BrowserSession, Purse, type PurseOptions } from './client.js';
export {
  ApiError,
  AuthenticationError,
  ConflictError,
  ConnectionError,
  type ErrorCode,
  InsufficientFundsError,
  InvalidRequestError,
  NotFoundError,
  PermissionError,
  type Problem,
  PurseError,
  RateLimitError,
} from './errors.js';
export type { components, paths } from './generated/openapi.js';
export { type Cursor, type Page, PageRequest } from './list.js';
export type { ListParams } from './operation.js';
export type { RequestOptions } from './request.js';
