import { erasureKeyFrom } from '../shared/domain/erasure.ts';
import { localUnsubscribeSecret } from './local-unsubscribe.ts';
import type { GlobalOptions } from './runtime.ts';

/**
 * The erasure key of this deployment: derived from the unsubscribe secret — in AWS the deployed secret
 * (CLIENTELE_UNSUBSCRIBE_SECRET, as for `winback`), locally the one kept in the data directory — so erasures
 * recorded by one command are recognised by every later one and by the Lambda functions.
 */
export async function erasureKeyFor(options: GlobalOptions): Promise<string> {
  const secret = process.env.CLIENTELE_UNSUBSCRIBE_SECRET;
  if (options.aws && !secret)
    throw new Error(
      'with --aws, set CLIENTELE_UNSUBSCRIBE_SECRET (the deployed unsubscribe secret): erasures are keyed by it',
    );
  return erasureKeyFrom(secret ?? (await localUnsubscribeSecret(options.dataDir)));
}
