"""SQL92 message selectors (upstream rocketmq-filter): compile once, match per message."""

from rocketmq.errors import SelectorError
from rocketmq.filter.parser import Selector, compile_selector, parse_selector
from rocketmq.filter.values import EvaluationError

__all__ = ["EvaluationError", "Selector", "SelectorError", "compile_selector", "parse_selector"]
