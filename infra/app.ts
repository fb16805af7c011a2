import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { buildApp } from './build-app';

/** `npx cdk synth` / `npx cdk deploy`: the stack from config/pipeline.yml (CONFIG_PATH overrides). */
const { app } = buildApp();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
app.synth();
