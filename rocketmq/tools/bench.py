"""mqbench: throughput benchmark for any RocketMQ-compatible broker (RocketMQ's benchmark tools).

    mqbench producer -n 127.0.0.1:9876 -t BenchmarkTest -w 64 -s 1024 --duration 30
    mqbench batchproducer -n ... -t T -b 16 -s 128
    mqbench transactionproducer -n ... -t T --checkRatio 0.1
    mqbench consumer -n ... -t BenchmarkTest -g benchmark_consumer

Flags keep the names of RocketMQ's benchmark Producer/Consumer/BatchProducer
(-t topic, -w threads, -s message size, -k keys, -c tag count, -b batch size,
-g group, -e expression, -r fail rate). ``transactionproducer`` sends half
messages and commits them (a ``--checkRatio`` share through the check-back).
Every ``--interval`` seconds it prints one line (TPS, average and max RT,
p50/p99/p999, failures); at the end one JSON line ``{"event":"summary",...}``.
Exit status: 0 when anything succeeded, 1 when nothing did or the run
failed, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import signal
import sys
import time
from collections.abc import Awaitable, Callable

from rocketmq.client.aio import (
    CONSUME_FROM_FIRST_OFFSET,
    CONSUME_FROM_LAST_OFFSET,
    ConsumeStatus,
    Message,
    MessageExt,
    Producer,
    PushConsumer,
    TransactionProducer,
    TransactionStatus,
)
from rocketmq.errors import RocketMQError
from rocketmq.remoting.loop import run
from rocketmq.tools.bench_stats import Window, percentile, summarize

logger = logging.getLogger("rocketmq.tools")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-n", "--namesrvAddr", default=os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
    )
    parser.add_argument("-t", "--topic", default="BenchmarkTest")
    parser.add_argument("--duration", type=float, default=0, help="seconds; 0 = until Ctrl-C")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between lines")
    parser.add_argument("--json", help="also write the summary to this file")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mqbench", description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    for name in ("producer", "batchproducer", "transactionproducer"):
        sub = modes.add_parser(name, help=f"{name} load (sync sends)")
        _common(sub)
        sub.add_argument("-w", "--threadCount", type=int, default=64, help="concurrent senders")
        sub.add_argument("-s", "--messageSize", type=int, default=128, help="body bytes")
        sub.add_argument("-k", "--keyEnable", action="store_true", help="set a key per message")
        sub.add_argument("-c", "--tagCount", type=int, default=0, help="tags cycled (0: none)")
        sub.add_argument("-d", "--delayLevel", type=int, default=0, help="delay level (0: none)")
        sub.add_argument("--group", default="benchmark_producer")
        sub.add_argument("--count", type=int, default=0, help="stop after this many (0: none)")
        if name == "batchproducer":
            sub.add_argument("-b", "--batchSize", type=int, default=16)
        if name == "transactionproducer":
            sub.add_argument(
                "--checkRatio", type=float, default=0.0,
                help="fraction answered UNKNOWN locally, then committed by the check-back",
            )  # fmt: skip
    sub = modes.add_parser("consumer", help="push consumer: TPS and born-to-consume latency")
    _common(sub)
    sub.add_argument("-g", "--group", default="benchmark_consumer")
    sub.add_argument("-e", "--expression", default="*", help="tag expression")
    sub.add_argument("-r", "--failRate", type=float, default=0.0, help="fraction answered later")
    sub.add_argument("-w", "--threadCount", type=int, default=20, help="listener concurrency")
    sub.add_argument("--fromFirst", action="store_true", help="a new group reads from offset 0")
    sub.add_argument("--expect", type=int, default=0, help="stop after this many (0: none)")
    return parser


class Meter:
    """The current interval's window and the finished ones; prints a line per interval."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.window = Window()
        self.windows: list[Window] = []
        self.total = 0  # successes so far, all windows

    def record(self, rt_ms: float) -> None:
        self.window.record(rt_ms)
        self.total += 1

    def roll(self) -> Window:
        done, self.window = self.window, Window()
        self.windows.append(done)
        return done

    def line(self, done: Window, seconds: float) -> str:
        ordered = sorted(done.samples)
        average = done.rt_total_ms / done.ok if done.ok else 0.0
        return (
            f"Current Time: {time.strftime('%Y-%m-%d %H:%M:%S')} | "
            f"{self.label} TPS: {done.ok / seconds:.0f} | Max RT(ms): {done.rt_max_ms:.3f} | "
            f"Average RT(ms): {average:7.3f} | p50(ms): {percentile(ordered, 0.5):.3f} | "
            f"p99(ms): {percentile(ordered, 0.99):.3f} | "
            f"p999(ms): {percentile(ordered, 0.999):.3f} | {self.label} Failed: {done.failed}"
        )


async def report(meter: Meter, interval_s: float, stop: asyncio.Event) -> None:
    last = time.monotonic()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), interval_s)
        except TimeoutError:
            pass
        now = time.monotonic()
        print(meter.line(meter.roll(), max(now - last, 1e-9)), flush=True)
        last = now


def _message(args: argparse.Namespace, body: bytes, index: int) -> Message:
    tags = f"tag{index % args.tagCount}" if args.tagCount else None
    message = Message(args.topic, body, tags=tags)
    if args.keyEnable:
        message.keys = f"key-{index}"
    if args.delayLevel:
        message.delay_time_level = args.delayLevel
    return message


async def produce(args: argparse.Namespace, meter: Meter, stop: asyncio.Event) -> None:
    body = random.randbytes(args.messageSize)
    batch = getattr(args, "batchSize", 0)
    counter = iter(range(args.count or (1 << 62)))
    if args.mode == "transactionproducer":
        ratio = args.checkRatio

        def local(_message: Message, _arg: object) -> TransactionStatus:
            unknown = ratio and random.random() < ratio
            return TransactionStatus.UNKNOWN if unknown else TransactionStatus.COMMIT

        producer: Producer = TransactionProducer(
            args.group,
            args.namesrvAddr,
            local_transaction=local,
            check_listener=lambda _message: TransactionStatus.COMMIT,
        )
    else:
        producer = Producer(args.group, args.namesrvAddr)
    transactional = isinstance(producer, TransactionProducer)
    async with producer:

        async def sender() -> None:
            while not stop.is_set():
                if args.count and meter.total >= args.count:
                    stop.set()
                    return
                began = time.perf_counter()
                try:
                    if batch:
                        messages = [_message(args, body, next(counter, 0)) for _ in range(batch)]
                        await producer.send_batch(messages)
                    elif transactional:
                        message = _message(args, body, next(counter, 0))
                        await producer.send_message_in_transaction(message)
                    else:
                        await producer.send(_message(args, body, next(counter, 0)))
                except RocketMQError as exc:
                    meter.window.failed += batch or 1
                    logger.debug("send failed: %s", exc)
                    continue
                rt_ms = (time.perf_counter() - began) * 1000
                for _ in range(batch or 1):
                    meter.record(rt_ms)

        await asyncio.gather(*(sender() for _ in range(args.threadCount)))


async def consume(args: argparse.Namespace, meter: Meter, stop: asyncio.Event) -> None:
    def listener(messages: list[MessageExt]) -> ConsumeStatus:
        now_ms = time.time() * 1000
        for message in messages:
            meter.record(max(0.0, now_ms - message.born_timestamp))
        if args.expect and meter.total >= args.expect:
            stop.set()
        if args.failRate and random.random() < args.failRate:
            meter.window.failed += len(messages)
            return ConsumeStatus.RECONSUME_LATER
        return ConsumeStatus.CONSUME_SUCCESS

    push = PushConsumer(
        args.group,
        args.namesrvAddr,
        consume_from_where=CONSUME_FROM_FIRST_OFFSET
        if args.fromFirst
        else CONSUME_FROM_LAST_OFFSET,
        consume_concurrency=args.threadCount,
        rebalance_interval_ms=2000,  # pick up a topic created after the consumer started
    )
    push.subscribe(args.topic, args.expression)
    push.register_listener(listener)
    async with push:
        await stop.wait()


async def main_async(args: argparse.Namespace) -> int:
    label = "Consume" if args.mode == "consumer" else "Send"
    meter = Meter(label)
    stop = asyncio.Event()
    work: Callable[..., Awaitable[None]] = consume if args.mode == "consumer" else produce
    began = time.monotonic()
    loop = asyncio.get_running_loop()
    if args.duration:
        loop.call_later(args.duration, stop.set)
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    reporter = loop.create_task(report(meter, args.interval, stop))
    try:
        await work(args, meter, stop)
    finally:
        stop.set()
        await reporter
    meter.roll()  # sends that completed after the last progress line
    summary = summarize(meter.windows, time.monotonic() - began)
    document = {"event": "summary", "mode": args.mode, "topic": args.topic, **summary.as_json()}
    print(json.dumps(document), flush=True)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(document, out, indent=2)
    return 0 if summary.ok else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    try:
        return run(main_async(args))
    except (RocketMQError, OSError) as exc:
        print(f"mqbench: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
