import { systemClock } from '../../../src/clock';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/logger';
import { createServiceContext, type ServiceContext } from '../../../src/services/context';
import type { TestEnv } from './worker';

/** The context a service gets from a request, for tests that call a service directly. */
export function serviceContextFor(env: TestEnv, requestId = 'req_test'): ServiceContext {
  return createServiceContext({
    env: loadConfig(env),
    logger: createLogger(env.LOG_LEVEL, { requestId }),
    clock: systemClock,
    requestId,
  });
}
