import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { handleUnsubscribeRequest } from '../shared/jobs/unsubscribe.ts';
import { storesFromEnv } from './adapters.ts';
import { EngineConfigEnv, parseEnv, UnsubscribeEnv } from './env.ts';
import { logger, metrics } from './powertools.ts';
import { unsubscribeSecret } from './secrets.ts';

const { ENGINE_CONFIG: config } = parseEnv(EngineConfigEnv);
const env = parseEnv(UnsubscribeEnv);
const stores = storesFromEnv(config.indexShards);

/** Lambda function URL: GET shows the confirmation page, POST (RFC 8058 one-click) unsubscribes. */
export const handler = async (
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> => {
  logger.addContext(context);
  const body = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const response = await handleUnsubscribeRequest(
    { method: event.requestContext.http.method, query: event.queryStringParameters ?? {}, body },
    {
      customers: stores.customers,
      secret: await unsubscribeSecret(env.UNSUBSCRIBE_SECRET_ARN),
      now: new Date().toISOString(),
    },
  );
  metrics.addMetric(response.outcome === 'unsubscribed' ? 'Unsubscribed' : 'UnsubscribeRequests', MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
  // The token and the customer are never logged: only the outcome.
  logger.info('unsubscribe request', {
    method: event.requestContext.http.method,
    outcome: response.outcome,
    status: response.status,
  });
  return { statusCode: response.status, headers: response.headers, body: response.body };
};
