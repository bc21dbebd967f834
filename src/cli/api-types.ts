/**
 * The admin API's response shapes as far as the CLI displays them (docs/admin-api.md is the
 * full reference). The CLI does not import Worker code, so these are declared here.
 */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface EndpointRemoval {
  id: string;
  url: string | null;
  removed: boolean;
  reason?: string;
}

export interface Connection {
  environment: string;
  accountId: string;
  accountName: string | null;
  maskedKey: string;
  keyKind: string;
  connectedAt: string;
  previousAccountId: string | null;
  accountChanged: boolean;
  syncRequested: boolean;
  webhookEndpoint: { id: string; url: string | null } | null;
  previousWebhookEndpoint: EndpointRemoval | null;
}

export interface Disconnected {
  environment: string;
  accountId: string;
  disconnectedAt: string;
  webhookEndpoint: EndpointRemoval | null;
}

export interface Endpoint {
  id: string;
  url: string;
  status: string;
  apiVersion: string | null;
  enabledEvents: string[];
  description: string | null;
}

export interface ManagedEndpoint {
  environment: string;
  endpoint: Endpoint;
  replaced: EndpointRemoval[];
  unmanaged: Array<Endpoint & { paywireManaged: boolean }>;
}

export interface EnvironmentStatus {
  environment: string;
  connected: boolean;
  account: { id: string; name: string | null } | null;
  maskedKey: string | null;
  keyKind: string | null;
  connectedAt: string | null;
  disconnectedAt: string | null;
  webhookEndpoint: {
    id: string;
    url: string | null;
    apiVersion: string | null;
    enabledEvents: number;
    upToDate: boolean;
  } | null;
  events: {
    lastReceivedAt: string | null;
    lastEventId: string | null;
    lastEventType: string | null;
    lastEventAgeSeconds: number | null;
    pending: number;
    failed: number;
  };
  lastSync: {
    id: string;
    kind: string;
    status: string;
    startedAt: string;
    finishedAt: string | null;
    counts: unknown;
    drift: unknown;
    error: string | null;
  } | null;
}

export interface Status {
  generatedAt: string;
  stripeApiVersion: string;
  projectedEventTypes: number;
  environments: { test: EnvironmentStatus; live: EnvironmentStatus };
}

export interface RotationReport {
  activeVersion: number;
  versionsBefore: Record<string, number>;
  total: number;
  reencrypted: number;
  alreadyCurrent: number;
  failed: Array<{ environment: string; secret: string; keyVersion: number | null; reason: string }>;
}

export interface Product {
  id: string;
  name: string;
  active: boolean;
  defaultPriceId: string | null;
  deleted: boolean;
}

export interface Price {
  id: string;
  productId: string;
  active: boolean;
  currency: string;
  unitAmount: number | null;
  type: string;
  recurring: { interval: string | null; intervalCount: number | null; trialPeriodDays: number | null } | null;
  lookupKey: string | null;
  nickname: string | null;
  deleted: boolean;
}

export interface Subject {
  type: string;
  id: string;
}

export interface Subscription {
  id: string;
  customerId: string;
  subject: Subject | null;
  status: string;
  priceId: string | null;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: string | null;
  trialEnd: string | null;
}

export interface Payment {
  id: string;
  kind: string;
  status: string;
  amount: number;
  amountRefunded: number;
  currency: string;
  customerId: string | null;
  subject: Subject | null;
  description: string | null;
  occurredAt: string;
}

export interface WebhookEvent {
  id: string;
  type: string;
  status: string;
  livemode: boolean;
  apiVersion: string | null;
  created: number;
  objectId: string | null;
  attempts: number;
  lastError: string | null;
  source: string;
  receivedAt: string;
  processedAt: string | null;
  payload?: Record<string, unknown>;
}

export interface IngestResult {
  eventId: string;
  type: string;
  status: string;
}

export interface RetryReport {
  attempted: number;
  processed: number;
  failed: number;
  results: Array<{ eventId: string; status: string; error?: string }>;
}
