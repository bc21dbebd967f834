import type { AppContext } from '../../http/context';
import type { ConnectionDeps } from '../../services/connections/types';

/** The request's dependencies for connection services (db, bindings, logger, clock, audit identity). */
export function connectionDeps(c: AppContext, actor: string): ConnectionDeps {
  return {
    db: c.var.db(),
    env: c.env,
    logger: c.var.logger,
    clock: c.var.clock,
    actor,
    requestId: c.var.requestId,
  };
}
