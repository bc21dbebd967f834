-- Custom migration: fan-out of outbox messages to the app's hook endpoints (#12). Every message
-- inserted into paywire.outbox gets one pending hook_deliveries row per enabled endpoint of its
-- environment that subscribes to its topic (or to '*'), in the same transaction as the message,
-- so a message is never lost between the commit and the Queue. ordering_key: messages with the
-- same key are delivered to an endpoint in outbox id order (the billing subject when known,
-- else the aggregate, else the message alone). With no endpoint it is one index probe of
-- hook_endpoints_env_idx per message.
CREATE FUNCTION paywire.outbox_fan_out() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  INSERT INTO paywire.hook_deliveries (environment, endpoint_id, outbox_id, ordering_key)
  SELECT NEW.environment, e.id, NEW.id,
         CASE
           WHEN NEW.subject_type IS NOT NULL AND NEW.subject_id IS NOT NULL
             THEN NEW.subject_type || ':' || NEW.subject_id
           WHEN NEW.aggregate_type IS NOT NULL AND NEW.aggregate_id IS NOT NULL
             THEN NEW.aggregate_type || ':' || NEW.aggregate_id
           ELSE 'outbox:' || NEW.id
         END
  FROM paywire.hook_endpoints e
  WHERE e.environment = NEW.environment
    AND e.enabled
    AND (NEW.topic = ANY (e.events) OR '*' = ANY (e.events))
  ON CONFLICT (endpoint_id, outbox_id) DO NOTHING;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER outbox_fan_out AFTER INSERT ON paywire.outbox
  FOR EACH ROW EXECUTE FUNCTION paywire.outbox_fan_out();
