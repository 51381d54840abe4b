import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { FullPassLauncher } from '../../jobs/full-pass.ts';

/** Execution name of a launched full pass: one per job, day and reason (≤ 80 characters, Step Functions' limit). */
export function executionName(request: { job: string; asOf: string; reason: string }): string {
  return `${request.job}-${request.asOf.slice(0, 10)}-${request.reason.replace(/[^a-z]+/g, '-')}`.slice(0, 80);
}

/**
 * Starts the job's full-pass state machine with the plan step's input. A retried start (the same day and reason)
 * meets ExecutionAlreadyExists and reports the execution already running.
 */
export function sfnFullPassLauncher(client: SFNClient, stateMachineArn: string): FullPassLauncher {
  return {
    async start(request) {
      const execution = executionName(request);
      try {
        await client.send(
          new StartExecutionCommand({
            stateMachineArn,
            name: execution,
            input: JSON.stringify({ action: 'plan', asOf: request.asOf, runId: execution }),
          }),
        );
        return { execution, alreadyStarted: false };
      } catch (error) {
        if (!(error instanceof ExecutionAlreadyExists)) throw error;
        return { execution, alreadyStarted: true };
      }
    },
  };
}
