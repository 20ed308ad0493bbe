// action-sign post step: always runs, and logs docker out of the registry the main step logged in
// to (saved in state), so no registry credential outlives the job on a self-hosted runner.
import * as core from '@actions/core';
import { createActionsLogger } from '@trunkline/core/door/action';
import { dockerLogout } from '@trunkline/core/adapters/docker-auth';

const host = core.getState('logout-registry');
if (host) await dockerLogout(host, createActionsLogger());
else core.info('docker was not logged in by this step');
