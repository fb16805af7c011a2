import { z } from 'zod';
import { IDENTIFIER } from '../contract/stage';

/**
 * The value types the configuration schemas share. Values that came from `${VAR}` interpolation
 * are strings; `int`/`bool` accept their string forms so that `port: ${DB_PORT:-3306}` validates
 * as a number.
 */
export const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z.number().int().min(min).max(max),
  );

export const bool = () =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    const s = v.trim().toLowerCase();
    if (['true', 'yes', 'on', '1'].includes(s)) return true;
    if (['false', 'no', 'off', '0', ''].includes(s)) return false;
    return v;
  }, z.boolean());

export const identifier = () =>
  z.string().regex(IDENTIFIER, 'must be a plain identifier (letters, digits, underscore)');

export const identifierish = () =>
  z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'letters, digits and hyphens');
