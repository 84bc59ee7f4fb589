import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { identityConfigFromEnv } from './config.js';

describe('identity configuration', () => {
  it('defaults to 10 MiB uploads, 4 at once, the shipped sample list, 0.85 and 0.95, and manual live decisions', () => {
    const config = identityConfigFromEnv({});
    expect(config).toMatchObject({
      file_bytes_max: 10 * 1024 * 1024,
      file_uploads_in_flight_max: 4,
      sanctions_review_score_min: 0.85,
      sanctions_block_score_min: 0.95,
      live_verifier: 'manual',
    });
    expect(existsSync(config.sanctions_list_path)).toBe(true);
    expect(existsSync(config.sanctions_aliases_path ?? '')).toBe(true);
  });

  it('takes a real list without the sample aliases', () => {
    const config = identityConfigFromEnv({ PURSE_SANCTIONS_LIST_PATH: '/lists/sdn.csv' });
    expect(config.sanctions_aliases_path).toBeUndefined();
  });

  it('refuses settings that cannot work, naming the variable', () => {
    const refused = (env: Record<string, string>, name: string) =>
      expect(() => identityConfigFromEnv(env)).toThrow(name);
    refused({ PURSE_FILE_BYTES_MAX: '0' }, 'PURSE_FILE_BYTES_MAX');
    refused({ PURSE_FILE_BYTES_MAX: '10MB' }, 'PURSE_FILE_BYTES_MAX');
    refused({ PURSE_FILE_UPLOADS_IN_FLIGHT_MAX: '0' }, 'PURSE_FILE_UPLOADS_IN_FLIGHT_MAX');
    expect(identityConfigFromEnv({ PURSE_FILE_UPLOADS_IN_FLIGHT_MAX: '16' }).file_uploads_in_flight_max).toBe(
      16,
    );
    refused({ PURSE_SANCTIONS_REVIEW_SCORE_MIN: '1.5' }, 'PURSE_SANCTIONS_REVIEW_SCORE_MIN');
    refused({ PURSE_SANCTIONS_REVIEW_SCORE_MIN: '0.97' }, 'PURSE_SANCTIONS_REVIEW_SCORE_MIN');
    refused({ PURSE_LIVE_VERIFIER: 'acme' }, 'PURSE_LIVE_VERIFIER');
  });
});
