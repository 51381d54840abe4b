/**
 * Run-wide setup (vitest `globalSetup`). With DYNAMODB_TARGET=dynamodb-local, one DynamoDB Local serves every test
 * file of the run instead of one JVM per file: a start costs 3–6 s and its first requests run cold (JIT), for each
 * of the files `npm run test:ddb-local` re-runs. Files share nothing but the server: every test works on tables of
 * its own (freshEnv: a random table prefix), which is also how the tests of one file have always shared it.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../cli/local-servers.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** the DynamoDB Local started for this run (DYNAMODB_TARGET=dynamodb-local), '' when there is none */
    dynamodbLocalEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  if (process.env.DYNAMODB_TARGET !== 'dynamodb-local') {
    project.provide('dynamodbLocalEndpoint', '');
    return;
  }
  // Twice the heap of a per-file server: the tables of all files stay in memory until the run ends.
  const server = await startDynamoDbLocal(undefined, 1024);
  project.provide('dynamodbLocalEndpoint', server.endpoint);
  return () => server.close();
}
