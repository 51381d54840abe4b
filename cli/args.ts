import { InvalidArgumentError } from 'commander';
import { endOfDay } from '../shared/domain/time.ts';

/** Option parsers shared by the CLI's commands: each names what it expected. */

export function asDate(value: string): string {
  try {
    endOfDay(value);
    return value;
  } catch {
    throw new InvalidArgumentError('expected a date YYYY-MM-DD');
  }
}

export function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a positive integer');
  return parsed;
}

export function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive number');
  return parsed;
}

/** A share between 0 and 1 (an effect of 0 is allowed: the null). */
export function effectShare(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed >= 1)
    throw new InvalidArgumentError('expected a share between 0 and 1, e.g. 0.03');
  return parsed;
}
