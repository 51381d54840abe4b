import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { handleUnsubscribeRequest } from '../shared/jobs/unsubscribe.ts';
import { storesFromEnv } from './adapters.ts';
import { JOB_ENV, parseEnv } from './env.ts';
import { jobHandler } from './job-handler.ts';
import { unsubscribeSecret } from './secrets.ts';
import { templateBundle } from './template-bundle.ts';

const env = parseEnv(JOB_ENV.unsubscribe);
const stores = storesFromEnv(env, env.ENGINE_CONFIG.indexShards);

/** Lambda function URL: GET shows the confirmation page, POST (RFC 8058 one-click) unsubscribes. */
export const handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2> =
  jobHandler('unsubscribe', async (event: APIGatewayProxyEventV2) => {
    const { body, isBase64Encoded, requestContext, queryStringParameters, headers } = event;
    const { pages } = await templateBundle();
    const response = await handleUnsubscribeRequest(
      {
        method: requestContext.http.method,
        query: queryStringParameters ?? {},
        body: body && isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body,
        acceptLanguage: headers?.['accept-language'],
      },
      { ...stores, pages, secret: await unsubscribeSecret(env.UNSUBSCRIBE_SECRET_ARN), now: new Date().toISOString() },
    );
    return {
      result: { statusCode: response.status, headers: response.headers, body: response.body },
      // The token and the customer are never logged: only the outcome.
      message: 'unsubscribe request',
      log: { method: requestContext.http.method, outcome: response.outcome, status: response.status },
      metrics: response.outcome === 'unsubscribed' ? { Unsubscribed: 1 } : { UnsubscribeRequests: 1 },
    };
  });
