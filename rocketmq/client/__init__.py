"""RocketMQ client: producers, consumers and their rebalance (upstream client module)."""
