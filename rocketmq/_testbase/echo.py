"""The remoting test contract served by our server and the Java EchoServer alike.

9001 ECHO        reply code 0 with the request's extFields, body and remark
9002 ONEWAY      (oneway) record extField "seq"
9003 STATS       reply extFields onewayCount / onewaySeqs (comma-joined)
anything else    3 REQUEST_CODE_NOT_SUPPORTED (the connection's default)
"""

from __future__ import annotations

from rocketmq._core import remoting as _codec
from rocketmq.remoting.connection import RemotingConnection
from rocketmq.remoting.endpoint import Endpoint

RemotingCommand = _codec.RemotingCommand

ECHO = 9001
ONEWAY_RECORD = 9002
ONEWAY_STATS = 9003
UNSUPPORTED = 9999


class EchoProcessors:
    """Registers the contract's handlers on an endpoint and keeps what arrived."""

    def __init__(self) -> None:
        self.oneway_seqs: list[str] = []
        self.requests: list[RemotingCommand] = []  # every ECHO request, when recording
        self.record_requests = False

    def install(self, endpoint: Endpoint) -> None:
        endpoint.register_processor(ECHO, self.echo)
        endpoint.register_processor(ONEWAY_RECORD, self.oneway)
        endpoint.register_processor(ONEWAY_STATS, self.stats)

    def echo(self, connection: RemotingConnection, request: RemotingCommand) -> RemotingCommand:
        if self.record_requests:
            self.requests.append(request)
        return RemotingCommand(0, request.ext_fields, request.body, remark=request.remark)

    def oneway(self, connection: RemotingConnection, request: RemotingCommand) -> None:
        fields = request.ext_fields or {}
        self.oneway_seqs.append(fields.get("seq", ""))

    def stats(self, connection: RemotingConnection, request: RemotingCommand) -> RemotingCommand:
        return RemotingCommand(
            0,
            {"onewayCount": str(len(self.oneway_seqs)), "onewaySeqs": ",".join(self.oneway_seqs)},
        )
