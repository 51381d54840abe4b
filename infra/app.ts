import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addClienteleStacks } from './clientele.ts';
import { DeploymentConfigError, loadDeploymentConfig } from './config.ts';
import { buildTemplates } from './templates.ts';

const app = new App();
try {
  const config = loadDeploymentConfig(app.node);
  // Compiled and linted before any construct: a template error stops synth and deploy here.
  const templates = await buildTemplates(config);
  console.error(templates.summary);
  addClienteleStacks(
    app,
    config,
    { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    { templatesFile: templates.file },
  );
} catch (error) {
  if (!(error instanceof DeploymentConfigError)) throw error;
  // A configuration mistake is the operator's, not a bug: print the field-level message without a stack trace.
  console.error(error.message);
  process.exit(1);
}
// cdk-nag AWS Solutions rules on every resource (cdk-nag 3 is a policy-validation plugin): any finding that is
// not acknowledged with a reason fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
