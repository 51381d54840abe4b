/**
 * Crash injection for CLI processes: a Node preload module that counts DynamoDB requests and SIGKILLs its own
 * process right after the k-th response. Load it before the CLI:
 *
 *   node --import tsx --import ./tests/helpers/crash-after-requests.ts cli/main.ts import ...
 *
 * Environment:
 *   CLIENTELE_CRASH_AFTER_REQUESTS=k      SIGKILL right after the k-th response is received: that request took
 *                                         effect, the caller never sees its result and nothing after it runs
 *                                         (requests sent concurrently with it may or may not have reached the server)
 *   CLIENTELE_COUNT_REQUESTS_FILE=path    at a normal exit, write the number of responses received to `path`,
 *                                         then one line with the command names in order (comma separated), then
 *                                         one line with the table each addressed, in the same order (comma
 *                                         separated; a batch over several tables joins them with '+')
 *   CLIENTELE_LOG_REQUESTS=1              log `dynamodb #n CommandName` on stderr for each response
 *
 * Hook: `DynamoDBClient` and `DynamoDBDocumentClient` both extend the smithy `Client` and neither defines its own
 * `send`. The document client does not call `this.client.send`: it inherits `Client.prototype.send` and shares the
 * wrapped client's middleware stack (lib-dynamodb dist-cjs: `class DynamoDBDocumentClient extends Client`,
 * `this.middlewareStack = client.middlewareStack`). So `send` is wrapped on both prototypes; a request goes through
 * exactly one of them (no double count). A request counts when it got a response: it resolved, or it failed with
 * an HTTP status from the server (a ConditionalCheckFailedException is a response; a network error is not).
 * SDK-internal retries are part of one `send`, so one command counts once.
 */
import { writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const crashAfter = Number(process.env.CLIENTELE_CRASH_AFTER_REQUESTS ?? 0);
const countFile = process.env.CLIENTELE_COUNT_REQUESTS_FILE;
const log = process.env.CLIENTELE_LOG_REQUESTS === '1';

let responses = 0;
const names: string[] = [];
const tables: string[] = [];

/** The table(s) a command addresses: `TableName`, or the keys of a batch's `RequestItems`. */
function tablesOf(command: unknown): string {
  const input = (command as { input?: { TableName?: unknown; RequestItems?: Record<string, unknown> } })?.input;
  if (typeof input?.TableName === 'string') return input.TableName;
  return Object.keys(input?.RequestItems ?? {}).join('+');
}

/** DynamoDB responses received so far in this process. */
export function dynamoResponses(): number {
  return responses;
}

function responded(command: unknown): void {
  responses += 1;
  const n = responses;
  if (countFile) {
    names.push((command as object)?.constructor?.name ?? 'unknown');
    tables.push(tablesOf(command));
  }
  if (log) process.stderr.write(`dynamodb #${n} ${(command as object)?.constructor?.name ?? 'unknown'}\n`);
  if (crashAfter > 0 && n === crashAfter) process.kill(process.pid, 'SIGKILL');
}

const PATCHED = Symbol.for('clientele.crashAfterRequests');
type Send = (this: unknown, command: unknown, ...rest: unknown[]) => Promise<unknown>;

for (const cls of [DynamoDBClient, DynamoDBDocumentClient]) {
  const proto = cls.prototype as unknown as Record<PropertyKey, unknown>;
  if (Object.hasOwn(proto, PATCHED)) continue;
  const original = proto.send as Send;
  proto[PATCHED] = true;
  proto.send = function send(this: unknown, command: unknown, ...rest: unknown[]) {
    // The callback form is not used by the project; it is passed through uncounted.
    if (typeof rest.at(-1) === 'function') return original.call(this, command, ...rest);
    return original.call(this, command, ...rest).then(
      (output) => {
        responded(command);
        return output;
      },
      (error: unknown) => {
        if ((error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode) responded(command);
        throw error;
      },
    );
  };
}

if (countFile)
  process.on('exit', () => writeFileSync(countFile, `${responses}\n${names.join(',')}\n${tables.join(',')}\n`));
