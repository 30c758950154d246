"""The blocking client behind ``rocketmq.client`` (names of rocketmq-client-python)."""
