import { describeIssues } from '../../domain/common.ts';
import { type WinbackTask, WinbackTaskSchema } from '../../domain/winback.ts';

/** A queued win-back task's body, parsed: the task, or an error naming the message and the field. */
export function parseWinbackTaskMessage(
  messageId: string,
  body: string,
): { ok: true; task: WinbackTask } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: `message ${messageId}: body is not JSON` };
  }
  const task = WinbackTaskSchema.safeParse(json);
  return task.success
    ? { ok: true, task: task.data }
    : { ok: false, error: `message ${messageId}: ${describeIssues(task.error)}` };
}
