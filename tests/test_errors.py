"""The exception hierarchy and the per-code BrokerError leaves."""

from __future__ import annotations

import pytest

from rocketmq import errors
from rocketmq.common.codes import RESPONSE_CODE_NAMES, ResponseCode


def test_every_response_code_but_success_has_a_leaf_class() -> None:
    for code, name in RESPONSE_CODE_NAMES.items():
        error = errors.BrokerError(code, "remark", "10.0.0.1:10911")
        if code == ResponseCode.SUCCESS:
            assert type(error) is errors.BrokerError
            continue
        assert type(error) is not errors.BrokerError, name
        assert type(error).code == code
        assert isinstance(error, errors.BrokerError)
        assert (error.code, error.remark, error.addr) == (code, "remark", "10.0.0.1:10911")


def test_leaf_names_and_message() -> None:
    error = errors.BrokerError(17, "topic[T] not exist, apply first please!", "1.2.3.4:10911")
    assert isinstance(error, errors.TopicNotExistError)
    assert str(error) == (
        "CODE: 17 (TOPIC_NOT_EXIST) DESC: topic[T] not exist, apply first please!"
        " from 1.2.3.4:10911"
    )
    # SYSTEM_ERROR keeps one "Error" suffix and does not shadow the builtin.
    assert type(errors.BrokerError(1)) is errors.BrokerSystemError
    assert type(errors.BrokerError(2)).__name__ == "SystemBusyError"
    assert type(errors.BrokerError(12345)) is errors.BrokerError  # unknown codes stay generic


def test_a_code_cannot_get_two_classes() -> None:
    with pytest.raises(TypeError, match="already has"):

        class Again(errors.BrokerError):
            code = ResponseCode.TOPIC_NOT_EXIST


def test_builtin_bases() -> None:
    assert issubclass(errors.RemotingConnectError, ConnectionError)
    assert issubclass(errors.RemotingSendRequestError, ConnectionError)
    assert issubclass(errors.RemotingTimeoutError, TimeoutError)
    assert issubclass(errors.ClientError, ValueError)
    assert issubclass(errors.FrameError, errors.ProtocolError)
    assert issubclass(errors.HeaderError, errors.ProtocolError)
    for name in ("ProtocolError", "ClientError", "RemotingError", "BrokerError"):
        assert issubclass(getattr(errors, name), errors.RocketMQError)
