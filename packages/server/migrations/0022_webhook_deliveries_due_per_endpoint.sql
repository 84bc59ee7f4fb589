-- A delivery claim looks up each endpoint's due deliveries in turn (webhooks/delivery.ts), so that
-- slow endpoints cannot take every slot: the oldest due first, per endpoint.
CREATE INDEX webhook_deliveries_due_per_endpoint ON webhook_deliveries (endpoint_id, next_attempt_at, position)
  WHERE status = 'pending';
