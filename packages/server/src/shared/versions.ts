/**
 * API versions, oldest first. A key is pinned to the newest when it is created; `Purse-Version`
 * on a request overrides the pin for that request. A new version appends here together with the
 * response transforms that keep older versions' shapes.
 */
export const api_versions = ['2026-11-01'] as const;
export type ApiVersion = (typeof api_versions)[number];

export const current_api_version: ApiVersion = api_versions[api_versions.length - 1] as ApiVersion;

export function isApiVersion(value: string): value is ApiVersion {
  return (api_versions as readonly string[]).includes(value);
}
