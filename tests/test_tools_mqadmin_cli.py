"""mqadmin without a cluster: usage errors, --help, failures, and the Java layouts."""

from __future__ import annotations

import io

import pytest

from rocketmq.tools import admin
from rocketmq.tools.formats import java_format, version_desc


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return admin.main(list(argv), out, err), out.getvalue(), err.getvalue()


@pytest.mark.parametrize("command", [c.name for c in admin.COMMANDS])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture) -> None:
    assert run(command, "--help")[0] == admin.EXIT_OK
    assert command in capsys.readouterr().out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture) -> None:
    assert run("noSuchCommand")[0] == admin.EXIT_USAGE
    assert run("topicStatus")[0] == admin.EXIT_USAGE  # -t missing
    assert run("updateTopic", "-t", "T")[0] == admin.EXIT_USAGE  # -b or -c missing
    assert run("updateTopic", "-t", "T", "-c", "C", "-o", "maybe")[0] == admin.EXIT_USAGE


def test_failures_exit_1_with_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NAMESRV_ADDR", raising=False)
    rc, out, err = run("topicList")
    assert (rc, out) == (admin.EXIT_FAILED, "")
    assert "NAMESRV_ADDR" in err
    rc, _out, err = run("-n", "127.0.0.1:1", "--timeout-ms", "500", "clusterList")
    assert rc == admin.EXIT_FAILED and "127.0.0.1:1" in err
    rc, _out, err = run("-n", "127.0.0.1:1", "queryMsgById", "-i", "XYZ")
    assert rc == admin.EXIT_FAILED and "XYZ" in err


def test_java_layouts() -> None:
    assert java_format("%-6s|%4d|%.2f%n", "ab", 7, 1.005) == "ab    |   7|1.00\n"
    assert java_format("%-4s%%", None) == "null%"
    assert version_desc(407) == "V4_9_7"  # MQVersion.Version ordinals
    assert version_desc(0) == "V3_0_0_SNAPSHOT"
    assert version_desc(10_000) == "HIGHER_VERSION"
