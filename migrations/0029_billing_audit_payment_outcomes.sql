-- billing_audit_payment_outcome_idx (#12 review): a subject's payment outcomes in Stripe time
-- (details.at). check_payment_failures (as in 0024) now reads the latest success from the end of
-- this index and counts the failures after it as a range of it, instead of reading every audit
-- entry of the subject twice; payment_facts' "no later failure" probe (0024/0028) uses it too.
CREATE INDEX "billing_audit_payment_outcome_idx" ON "paywire"."billing_audit" USING btree ("environment","subject_type","subject_id",(("details" ->> 'at')::bigint)) WHERE "paywire"."billing_audit"."entity" = 'payment' and (("paywire"."billing_audit"."kind" <> 'refund' and "paywire"."billing_audit"."new_status" in ('paid', 'succeeded')) or "paywire"."billing_audit"."new_status" = 'payment_failed' or ("paywire"."billing_audit"."kind" = 'checkout_session' and "paywire"."billing_audit"."new_status" = 'failed'));
--> statement-breakpoint
CREATE OR REPLACE FUNCTION paywire.check_payment_failures(
  p_environment text, p_subject_type text, p_subject_id text, p_stripe_event_id text
) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  threshold integer;
  last_success bigint;
  failures integer;
BEGIN
  SELECT s.payment_failures INTO threshold FROM paywire.alert_settings s WHERE s.environment = p_environment;
  threshold := coalesce(threshold, 3);
  -- the latest success in Stripe time (max(), read backwards from the end of the index)
  SELECT (a.details ->> 'at')::bigint INTO last_success FROM paywire.billing_audit a
   WHERE a.environment = p_environment AND a.subject_type = p_subject_type AND a.subject_id = p_subject_id
     AND a.entity = 'payment' AND a.kind <> 'refund' AND a.new_status IN ('paid', 'succeeded')
     AND (a.details ->> 'at')::bigint IS NOT NULL
   ORDER BY (a.details ->> 'at')::bigint DESC LIMIT 1;
  SELECT count(*) INTO failures FROM paywire.billing_audit a
   WHERE a.environment = p_environment AND a.subject_type = p_subject_type AND a.subject_id = p_subject_id
     AND a.entity = 'payment'
     AND (a.new_status = 'payment_failed' OR (a.kind = 'checkout_session' AND a.new_status = 'failed'))
     AND (a.details ->> 'at')::bigint > coalesce(last_success, 0);
  IF failures < threshold THEN
    RETURN;
  END IF;
  PERFORM paywire.raise_alert(p_environment, 'payment_failures', p_subject_type, p_subject_id,
    'payment_failures:' || p_subject_type || ':' || p_subject_id,
    format('%s failed payments in a row for %s:%s', failures, p_subject_type, p_subject_id),
    jsonb_build_object('failures', failures, 'threshold', threshold), p_stripe_event_id);
END
$$;
