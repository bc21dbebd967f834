// Top-level parameter names Stripe accepts per endpoint, copied from the stripe-node 23.1
// type definitions (each `*Params` interface). Parameters listed here but not modelled by the
// emulator are accepted and ignored; anything else gets Stripe's `parameter_unknown` 400.
export const KNOWN_PARAMS = {
  BillingPortalSessionCreateParams:
    'after_expiration configuration customer customer_account expand flow_data locale on_behalf_of return_url',
  ChargeListParams:
    'created customer ending_before expand limit payment_intent starting_after transfer_group',
  CheckoutSessionCreateParams:
    'adaptive_pricing after_expiration allow_promotion_codes allowed_payment_method_types automatic_tax billing_address_collection branding_settings cancel_url client_reference_id consent_collection currency custom_fields custom_text customer customer_account customer_creation customer_email customer_update discounts excluded_payment_method_types expand expires_at integration_identifier invoice_creation line_items locale managed_payments metadata mode name_collection optional_items origin_context payment_intent_data payment_method_collection payment_method_configuration payment_method_data payment_method_options permissions phone_number_collection redirect_on_completion return_url saved_payment_method_options setup_intent_data shipping_address_collection shipping_options submit_type subscription_data success_url tax_id_collection ui_mode wallet_options',
  CheckoutSessionExpireParams: 'expand',
  CheckoutSessionListLineItemsParams: 'ending_before expand limit starting_after',
  CheckoutSessionListParams:
    'created customer customer_account customer_details ending_before expand limit payment_intent payment_link starting_after status subscription',
  CheckoutSessionUpdateParams:
    'collected_information expand line_items metadata payment_intent_data shipping_options',
  CouponCreateParams:
    'amount_off applies_to currency currency_options duration duration_in_months expand id max_redemptions metadata name percent_off redeem_by',
  CouponListParams: 'created ending_before expand limit starting_after',
  CouponUpdateParams: 'currency_options expand metadata name',
  CustomerCreateParams:
    'address balance business_name cash_balance description email expand individual_name invoice_prefix invoice_settings metadata name next_invoice_sequence payment_method phone preferred_locales shipping source tax tax_exempt tax_id_data test_clock validate',
  CustomerListParams: 'created email ending_before expand limit starting_after test_clock',
  CustomerListPaymentMethodsParams: 'allow_redisplay ending_before expand limit starting_after type',
  CustomerUpdateParams:
    'address balance business_name cash_balance default_source description email expand individual_name invoice_prefix invoice_settings metadata name next_invoice_sequence phone preferred_locales shipping source tax tax_exempt validate',
  EventListParams: 'created delivery_success ending_before expand limit starting_after type types',
  InvoiceListLineItemsParams: 'ending_before expand limit starting_after',
  InvoiceListParams:
    'collection_method created customer customer_account due_date ending_before expand limit starting_after status subscription',
  InvoicePayParams: 'expand forgive mandate off_session paid_out_of_band payment_method source',
  InvoicePaymentListParams: 'created ending_before expand invoice limit payment starting_after status',
  InvoiceUpdateParams:
    'account_tax_ids application_fee_amount auto_advance automatic_tax automatically_finalizes_at collection_method custom_fields days_until_due default_payment_method default_source default_tax_rates description discounts due_date effective_at expand footer issuer metadata number on_behalf_of payment_settings rendering shipping_cost shipping_details statement_descriptor transfer_data',
  InvoiceVoidInvoiceParams: 'expand',
  PaymentIntentCancelParams: 'cancellation_reason expand',
  PaymentIntentConfirmParams:
    'allowed_payment_method_types amount_details amount_to_confirm capture_method confirmation_token error_on_requires_action excluded_payment_method_types expand hooks mandate mandate_data off_session payment_details payment_method payment_method_data payment_method_options radar_options receipt_email return_url setup_future_usage shipping use_stripe_sdk',
  PaymentIntentCreateParams:
    'allowed_payment_method_types amount amount_details application_fee_amount automatic_payment_methods capture_method confirm confirmation_method confirmation_token currency customer customer_account description error_on_requires_action excluded_payment_method_types expand hooks mandate mandate_data metadata off_session on_behalf_of payment_details payment_method payment_method_configuration payment_method_data payment_method_options radar_options receipt_email return_url setup_future_usage shipping statement_descriptor statement_descriptor_suffix transfer_data transfer_group use_stripe_sdk',
  PaymentIntentListParams: 'created customer customer_account ending_before expand limit starting_after',
  PaymentIntentUpdateParams:
    'allowed_payment_method_types amount amount_details application_fee_amount capture_method currency customer customer_account description excluded_payment_method_types expand hooks metadata payment_details payment_method payment_method_configuration payment_method_data payment_method_options receipt_email setup_future_usage shipping statement_descriptor statement_descriptor_suffix transfer_data transfer_group',
  PaymentMethodAttachParams: 'customer customer_account expand',
  PaymentMethodDetachParams: 'expand',
  PriceCreateParams:
    'active billing_scheme currency currency_options custom_unit_amount expand lookup_key metadata nickname product product_data recurring tax_behavior tiers tiers_mode transfer_lookup_key transform_quantity unit_amount unit_amount_decimal',
  PriceListParams:
    'active created currency ending_before expand limit lookup_keys product recurring starting_after type',
  PriceUpdateParams:
    'active currency_options expand lookup_key metadata nickname tax_behavior transfer_lookup_key',
  ProductCreateParams:
    'active default_price_data description expand id images marketing_features metadata name package_dimensions shippable statement_descriptor tax_code tax_details type unit_label url',
  ProductListParams: 'active created ending_before expand ids limit shippable starting_after type url',
  ProductUpdateParams:
    'active default_price description expand images marketing_features metadata name package_dimensions shippable statement_descriptor tax_code tax_details unit_label url',
  PromotionCodeCreateParams:
    'active code customer customer_account expand expires_at max_redemptions metadata promotion restrictions',
  PromotionCodeListParams:
    'active code coupon created customer customer_account ending_before expand limit starting_after',
  PromotionCodeUpdateParams: 'active expand metadata restrictions',
  RefundCreateParams:
    'amount charge currency customer expand instructions_email metadata origin payment_intent reason refund_application_fee reverse_transfer',
  RefundListParams: 'charge created ending_before expand limit payment_intent starting_after',
  RefundUpdateParams: 'expand metadata',
  SubscriptionCancelParams: 'cancellation_details expand invoice_now prorate',
  SubscriptionCreateParams:
    'add_invoice_items application_fee_percent automatic_tax backdate_start_date billing_cycle_anchor billing_cycle_anchor_config billing_mode billing_schedules billing_thresholds cancel_at cancel_at_period_end collection_method currency customer customer_account days_until_due default_payment_method default_source default_tax_rates description discounts expand invoice_settings items metadata off_session on_behalf_of payment_behavior payment_settings pending_invoice_item_interval proration_behavior transfer_data trial_end trial_from_plan trial_period_days trial_settings',
  SubscriptionItemListParams: 'ending_before expand limit starting_after subscription',
  SubscriptionListParams:
    'automatic_tax collection_method created current_period_end current_period_start customer customer_account ending_before expand limit plan price starting_after status test_clock',
  SubscriptionUpdateParams:
    'add_invoice_items application_fee_percent automatic_tax billing_cycle_anchor billing_schedules billing_thresholds cancel_at cancel_at_period_end cancellation_details collection_method days_until_due default_payment_method default_source default_tax_rates description discounts expand invoice_settings items metadata off_session on_behalf_of pause_collection payment_behavior payment_settings pending_invoice_item_interval proration_behavior proration_date transfer_data trial_end trial_from_plan trial_settings',
  WebhookEndpointCreateParams: 'api_version connect description enabled_events expand metadata url',
  WebhookEndpointListParams: 'ending_before expand limit starting_after',
  WebhookEndpointUpdateParams: 'description disabled enabled_events expand metadata url',
} as const;

export type KnownParamsName = keyof typeof KNOWN_PARAMS;

const cache = new Map<KnownParamsName, Set<string>>();

export function knownParams(name: KnownParamsName): Set<string> {
  let set = cache.get(name);
  if (!set) {
    set = new Set(KNOWN_PARAMS[name].split(' '));
    cache.set(name, set);
  }
  return set;
}
