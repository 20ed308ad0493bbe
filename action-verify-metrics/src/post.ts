// action-verify-metrics post step: always runs, even after a failure or cancellation, and removes
// the container this job's main step started (by its saved name only: parallel jobs on the same
// runner share the run id, so sweeping by label could remove another job's container).
import * as core from '@actions/core';
import { removeContainer } from '@trunkline/core/adapters/docker-run';

const name = core.getState('container-name');
if (!name) {
  core.info('no container was started by this step');
} else if (core.getState('keep-container') === 'true') {
  core.info(`keeping container ${name} (keep-container: true)`);
} else if (await removeContainer(name)) {
  core.info(`container ${name} is gone`);
} else {
  core.warning(`could not remove container ${name}`);
}
