"""The event stream: a transactional outbox (outbox.py), the change feed (feed.py), and webhook
endpoints and delivery (webhooks.py, delivery.py)."""
