"""The client drivers (tests/interop/java/client4) run to completion from async tests.

``client`` names the Maven module, so the same calls run on rocketmq-client
4.9.8 (``client4``) or 5.3.3 (``client5``).
"""

from __future__ import annotations

from tests.interop import harness

CONSUMER_WAIT_S = 60.0


async def produce(
    client: str, namesrv: str, topic: str, *args: str, serialize: str = "JSON"
) -> list[dict]:
    """Run ProducerDriver to completion; return its ``sent`` lines."""
    rc, out, err = await harness.run_java(
        "client4.ProducerDriver",
        "--namesrv",
        namesrv,
        "--topic",
        topic,
        "--serialize",
        serialize,
        *args,
        module=client,
    )
    assert rc == 0 and "OK producer" in out.splitlines(), (
        f"ProducerDriver failed (exit {rc}):\n{out}\n{err[-3000:]}"
    )
    return [line for line in harness.DriverProcess.parse(out) if line["event"] == "sent"]


async def consume_push(
    client: str, namesrv: str, topic: str, expect: int, *args: str, serialize: str = "JSON"
) -> list[dict]:
    """Run PushConsumerDriver until ``expect`` distinct messages arrived; return them."""
    driver = await harness.start_driver(
        "client4.PushConsumerDriver",
        "--namesrv",
        namesrv,
        "--topic",
        topic,
        "--expect",
        str(expect),
        "--timeout-ms",
        str(int(CONSUMER_WAIT_S * 1000)),
        "--serialize",
        serialize,
        *args,
        module=client,
    )
    try:
        await driver.wait_until(
            lambda: bool(driver.events("summary")), CONSUMER_WAIT_S + 30, "summary"
        )
    finally:
        rc = await driver.stop()
    assert rc == 0 and "OK pushconsumer" in driver.lines, driver.output
    return driver.events("recv")
