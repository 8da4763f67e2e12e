/** Ids in paths and bodies: what the gateway accepts from clients and from the upstream. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const ID_PATTERN_DESCRIPTION = '1 to 64 characters: letters, digits, "_" or "-"';

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}
