import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** Timeout of one full-pass invocation: Lambda's maximum. */
export const FULL_PASS_TIMEOUT = Duration.minutes(15);

/** Errors of the Lambda service itself (not of the function): always worth retrying. */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
];

/**
 * Plan -> Distributed Map over `$.segments` (each child: Segment, called again until it answers `done: true`) ->
 * Merge. States are created in `scope`; every task calls `fn` synchronously.
 */
export function fullPassDefinition(scope: Construct, fn: lambda.IFunction, maxConcurrency: number): sfn.IChainable {
  const field = (name: string) => sfn.JsonPath.stringAt(`$.${name}`);
  // The execution input ({action: 'plan', job, scheduledTime | asOf}) is passed as it is.
  const plan = invoke(scope, fn, 'Plan', undefined);
  const segment = invoke(
    scope,
    fn,
    'Segment',
    sfn.TaskInput.fromObject({
      action: 'segment',
      job: field('job'),
      runId: field('runId'),
      asOf: field('asOf'),
      segment: sfn.JsonPath.numberAt('$.segment'),
      totalSegments: sfn.JsonPath.numberAt('$.totalSegments'),
    }),
    // Keep the item (job, runId, ...) for the next call; the worker's answer goes next to it.
    { resultPath: '$.result' },
  );
  // A crashed or timed-out worker resumes from its checkpoint: retrying is safe.
  segment.addRetry({
    errors: [sfn.Errors.TIMEOUT, 'Sandbox.Timedout', 'Lambda.Unknown', sfn.Errors.TASKS_FAILED],
    interval: Duration.seconds(30),
    maxAttempts: 3,
    backoffRate: 2,
  });
  const done = '$.result.done';
  const invalid = new sfn.Fail(scope, 'SegmentResultInvalid', {
    error: 'SegmentResultInvalid',
    cause: 'the segment worker answered without a boolean "done"',
  });
  const segmentDone = new sfn.Choice(scope, 'SegmentDone?')
    .when(sfn.Condition.not(sfn.Condition.isPresent(done)), invalid)
    .when(
      sfn.Condition.booleanEquals(done, true),
      new sfn.Succeed(scope, 'SegmentComplete', { outputPath: '$.result' }),
    )
    // Its time budget was used up: call it again, it resumes from its checkpoint.
    .when(sfn.Condition.booleanEquals(done, false), segment)
    .otherwise(invalid);
  segment.next(segmentDone);

  const segments = new sfn.DistributedMap(scope, 'Segments', {
    label: 'Segments',
    itemsPath: '$.segments',
    itemSelector: {
      action: 'segment',
      job: field('job'),
      runId: field('runId'),
      asOf: field('asOf'),
      totalSegments: sfn.JsonPath.numberAt('$.totalSegments'),
      segment: sfn.JsonPath.numberAt('$$.Map.Item.Value'),
    },
    maxConcurrency,
    toleratedFailurePercentage: 0,
    // The merge reads the segments' results from the snapshots table, not from the state.
    resultPath: sfn.JsonPath.DISCARD,
    // A segment may loop for longer than the 5 minutes an Express child execution is allowed.
    mapExecutionType: sfn.StateMachineType.STANDARD,
  });
  segments.itemProcessor(segment);

  const merge = invoke(
    scope,
    fn,
    'Merge',
    sfn.TaskInput.fromObject({
      action: 'merge',
      job: field('job'),
      runId: field('runId'),
      asOf: field('asOf'),
      totalSegments: sfn.JsonPath.numberAt('$.totalSegments'),
    }),
    {},
  );
  for (const task of [plan, merge]) {
    task.addRetry({
      errors: [sfn.Errors.TASKS_FAILED],
      interval: Duration.seconds(30),
      maxAttempts: 2,
      backoffRate: 2,
    });
  }
  return plan.next(segments).next(merge);
}

/** A synchronous call of the full-pass function; Lambda service errors and throttles are retried with jitter. */
function invoke(
  scope: Construct,
  fn: lambda.IFunction,
  id: string,
  payload: sfn.TaskInput | undefined,
  extra: Partial<tasks.LambdaInvokeProps> = {},
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn,
    ...(payload ? { payload } : {}),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    // The function's own timeout ends it first; this only catches an invoke that never returns.
    taskTimeout: sfn.Timeout.duration(FULL_PASS_TIMEOUT.plus(Duration.minutes(1))),
    ...extra,
  });
  task.addRetry({
    errors: LAMBDA_SERVICE_ERRORS,
    interval: Duration.seconds(2),
    maxAttempts: 8,
    backoffRate: 2,
    maxDelay: Duration.minutes(1),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}
