/**
 * Local stand-in for Neon's SQL-over-HTTP endpoint, so the real `@neondatabase/serverless`
 * driver (and drizzle-orm/neon-http) run unchanged against embedded PGlite or a real Postgres.
 * Point the driver at it with `neonConfig.fetchEndpoint = endpoint.url`. See docs/local-neon.md.
 */
export { DEFAULT_DATABASE, startNeonEndpoint } from './server.ts';
export type {
  BackendOptions,
  EndpointStats,
  LostResponseFault,
  LostResponseInput,
  NeonEndpoint,
  NeonEndpointOptions,
  RecordedRequest,
  SqlExecutor,
} from './types.ts';
