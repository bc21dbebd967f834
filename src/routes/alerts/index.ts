import type { App } from '../../http/context';
import * as getAlertSettings from './get-alert-settings';
import * as listAlerts from './list-alerts';
import * as listBillingAudit from './list-billing-audit';
import * as putAlertSettings from './put-alert-settings';

/** Alerts, their thresholds and the billing audit (docs/fulfillment.md). Settings before the list. */
export function registerAlertRoutes(app: App) {
  getAlertSettings.register(app);
  putAlertSettings.register(app);
  listAlerts.register(app);
  listBillingAudit.register(app);
}
