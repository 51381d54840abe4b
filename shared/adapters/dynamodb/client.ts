import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoConnection {
  /** Local endpoint (dynalite, DynamoDB Local); omit for real AWS. */
  endpoint?: string | undefined;
  region?: string | undefined;
  maxAttempts?: number | undefined;
}

export function documentClient(connection: DynamoConnection = {}): DynamoDBDocumentClient {
  const local = Boolean(connection.endpoint);
  const client = new DynamoDBClient({
    region: connection.region ?? process.env.AWS_REGION ?? 'us-east-1',
    maxAttempts: connection.maxAttempts ?? 8,
    ...(local
      ? {
          endpoint: connection.endpoint,
          // Local servers accept any credentials; fixed ones keep the SDK from searching the machine for real ones.
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
}
