"""Outgoing webhooks: events written to an outbox in the transaction of the change that
causes them, signed, and delivered to the moderators' HTTPS endpoints with retries."""
