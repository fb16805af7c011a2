import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { ConfigError } from '../contract/errors';
import { buildApp } from './build-app';

/** `npx cdk synth` / `npx cdk deploy`: the stack from config/pipeline.yml (CONFIG_PATH overrides). */
try {
  const { app } = buildApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
  app.synth();
} catch (error) {
  // A configuration problem is the deployer's to fix: its message, without a stack trace.
  if (!(error instanceof ConfigError)) throw error;
  console.error(`ConfigError: ${error.message}`);
  process.exitCode = 1;
}
