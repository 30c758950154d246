"""Operator tools. ``mqadmin`` (rocketmq.tools.admin): RocketMQ's admin subcommands."""
