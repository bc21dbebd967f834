import { metadataOf, type StripeObject, str } from './stripe-object';

/**
 * Billing subjects travel through Stripe in metadata that Paywire writes on the objects it
 * creates (customers, checkout sessions, subscription_data), and as the checkout session's
 * `client_reference_id` ("<type>:<id>") for sessions created by other integrations.
 */
export const SUBJECT_TYPE_KEY = 'paywire_subject_type';
export const SUBJECT_ID_KEY = 'paywire_subject_id';
/** Our checkout request row id, written into the Checkout Session's metadata. */
export const CHECKOUT_ID_KEY = 'paywire_checkout_id';

export interface Subject {
  subjectType: string;
  subjectId: string;
}

const SUBJECT_PART = /^[A-Za-z0-9_.:@-]{1,200}$/;
export const SUBJECT_TYPE_PATTERN = /^[a-z][a-z0-9_]{0,49}$/;

export function subjectFromMetadata(o: StripeObject | undefined): Subject | null {
  const meta = metadataOf(o);
  const subjectType = meta[SUBJECT_TYPE_KEY];
  const subjectId = meta[SUBJECT_ID_KEY];
  if (subjectType && subjectId && SUBJECT_TYPE_PATTERN.test(subjectType) && SUBJECT_PART.test(subjectId)) {
    return { subjectType, subjectId };
  }
  return null;
}

export function subjectFromClientReference(session: StripeObject): Subject | null {
  const ref = str(session, 'client_reference_id');
  if (!ref) return null;
  const at = ref.indexOf(':');
  if (at <= 0) return null;
  const subjectType = ref.slice(0, at);
  const subjectId = ref.slice(at + 1);
  return SUBJECT_TYPE_PATTERN.test(subjectType) && SUBJECT_PART.test(subjectId)
    ? { subjectType, subjectId }
    : null;
}
