import { type App, type Environment, Tags } from 'aws-cdk-lib';
import type { DeploymentConfig } from './config.ts';
import { ClienteleDataStack } from './stacks/data-stack.ts';
import { ClienteleJobsStack } from './stacks/jobs-stack.ts';
import { BUILT_TEMPLATES_FILE } from './templates.ts';

export interface ClienteleStacks {
  readonly data: ClienteleDataStack;
  readonly jobs: ClienteleJobsStack;
}

/** Stack names of a stage: `clientele-<stage>-data` and `clientele-<stage>-jobs`. */
export function stackNames(stageName: string) {
  return { data: `clientele-${stageName}-data`, jobs: `clientele-${stageName}-jobs` };
}

/**
 * Adds the data and jobs stacks of one stage to the app. Used by infra/app.ts, the tests and scripts/synth.ts.
 * `templatesFile`: the compiled templates (buildTemplates) packaged with the functions that render them.
 */
export function addClienteleStacks(
  app: App,
  config: DeploymentConfig,
  env?: Environment,
  options: { templatesFile?: string } = {},
): ClienteleStacks {
  const names = stackNames(config.stageName);
  const data = new ClienteleDataStack(app, names.data, { stackName: names.data, config, env });
  const jobs = new ClienteleJobsStack(app, names.jobs, {
    stackName: names.jobs,
    config,
    data: data.data,
    env,
    templatesFile: options.templatesFile ?? BUILT_TEMPLATES_FILE,
  });
  for (const stack of [data, jobs]) {
    Tags.of(stack).add('project', 'clientele');
    Tags.of(stack).add('stage', config.stageName);
  }
  return { data, jobs };
}
