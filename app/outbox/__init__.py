"""The transactional outbox: messages recorded with the change that causes them."""
