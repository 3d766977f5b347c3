"""Chaincode-as-a-service server: the Fabric peers dial this gRPC server and run the contracts here.

The wire protocol is Fabric's chaincode shim stream (``protos.Chaincode/Connect``). We use the
fabric_chaincode_python package's ``ChaincodeStub`` (the stub the contracts see) but drive the stream
ourselves, because its ``Handler``/``MsgQueueHandler``/``start()`` fail against a real peer:

- ``start()`` builds ``grpc.aio.server()`` without options: no 100 MiB message limits, no keep-alive
  policy, so peers' keep-alive pings get the connection closed (``too_many_pings``).
- an ``ERROR`` answer from the peer (e.g. a GetState on a bad key, a range over a key that is not a
  composite key) is resolved as a *success*: the error text comes back as the value.
- an exception raised by the contract (or by the stub's decoding) kills the task silently: the peer
  never gets ``COMPLETED``/``ERROR`` and the transaction hangs until the peer's execute timeout.
- ``set_event`` collects events on the stub but they never reach the peer (not put in ``COMPLETED``).
- its error messages to the peer lack ``channel_id``, so the peer cannot route them to the transaction.
- it logs every message (payloads included) at INFO/WARNING, and sets the root logger to DEBUG.
- ``get_state_by_range("", ...)`` sends an empty start key, so the range also returns composite keys;
  Fabric's Go shim sends "\x01" instead (only simple keys). We do the same.

Each ``Connect`` stream gets its own ``PeerSession``, so a peer that restarts or reconnects simply opens
a new stream; several peers (one per organisation) share one server.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
import signal
from typing import AsyncIterable, Optional

import grpc
from fabric_chaincode_python.fabric_shim.stub import ChaincodeStub
from fabric_protos.peer import chaincode_pb2 as cc_pb2
from fabric_protos.peer import chaincode_shim_pb2 as shim_pb2
from fabric_protos.peer import chaincode_shim_pb2_grpc as shim_grpc
from fabric_protos.peer import proposal_response_pb2 as pr_pb2

LOG = logging.getLogger("nineten.chaincode.server")

CM = shim_pb2.ChaincodeMessage
MAX_MESSAGE = 100 * 1024 * 1024

# What the peers need from a chaincode server (Fabric's Go shim server uses the same policy).
GRPC_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 60_000),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 60_000),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.http2.max_ping_strikes", 0),
]


class PeerError(Exception):
    """The peer answered a shim request with an ERROR message."""


class _Pending:
    def __init__(self, msg: shim_pb2.ChaincodeMessage, fut: asyncio.Future) -> None:
        self.msg = msg
        self.fut = fut


class PeerSession:
    """One Connect stream with one peer. Implements the calls ``ChaincodeStub`` makes on its client."""

    def __init__(self, ccid: str, chaincode, context: grpc.aio.ServicerContext) -> None:
        self.ccid = ccid
        self.chaincode = chaincode
        self.context = context
        self.state = "created"
        self._queues: dict[str, list[_Pending]] = {}  # per channel+txid: one request in flight at a time
        self._reads: dict[str, dict[tuple[str, str], bytes]] = {}  # per channel+txid: see handle_get_state
        self._tasks: set[asyncio.Task] = set()
        self._write_lock = asyncio.Lock()

    # -- stream ---------------------------------------------------------------------------
    async def _write(self, msg: shim_pb2.ChaincodeMessage) -> None:
        async with self._write_lock:
            await self.context.write(msg)

    async def run(self, stream: AsyncIterable[shim_pb2.ChaincodeMessage]) -> None:
        reg = CM(type=CM.REGISTER, payload=cc_pb2.ChaincodeID(name=self.ccid).SerializeToString())
        reg.timestamp.FromDatetime(datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None))
        await self._write(reg)
        try:
            async for msg in stream:
                await self._on_message(msg)
        finally:
            for t in list(self._tasks):
                t.cancel()
            for q in self._queues.values():
                for p in q:
                    if not p.fut.done():
                        p.fut.set_exception(PeerError("connection to the peer closed"))
            self._queues.clear()
            LOG.info("peer stream closed (ccid %s)", self.ccid)

    async def _on_message(self, msg: shim_pb2.ChaincodeMessage) -> None:
        t = msg.type
        if t == CM.KEEPALIVE:
            return
        if self.state == "created":
            if t == CM.REGISTERED:
                self.state = "established"
                LOG.info("registered with peer as %s", self.ccid)
            else:
                await self._write(self._error(msg, f"cannot handle {CM.Type.Name(t)} before REGISTERED"))
            return
        if self.state == "established":
            if t == CM.READY:
                self.state = "ready"
                LOG.info("peer stream ready")
            else:
                await self._write(self._error(msg, f"cannot handle {CM.Type.Name(t)} before READY"))
            return
        if t in (CM.RESPONSE, CM.ERROR):
            self._resolve(msg)
        elif t in (CM.TRANSACTION, CM.INIT):
            task = asyncio.create_task(self._execute(msg))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            await self._write(self._error(msg, f"unexpected message {CM.Type.Name(t)} in state ready"))

    @staticmethod
    def _error(msg, text: str) -> shim_pb2.ChaincodeMessage:
        return CM(type=CM.ERROR, payload=text.encode(), txid=msg.txid, channel_id=msg.channel_id)

    # -- transactions -------------------------------------------------------------------------
    async def _execute(self, msg: shim_pb2.ChaincodeMessage) -> None:
        self._reads[msg.channel_id + msg.txid] = {}
        try:
            cc_input = cc_pb2.ChaincodeInput.FromString(msg.payload)
            stub = ChaincodeStub(self, msg.channel_id, msg.txid, cc_input, msg.proposal)
            stub.chaincode_id_name = self.ccid.split(":", 1)[0]
            if msg.type == CM.INIT:
                resp = await self.chaincode.init(stub)
            else:
                resp = await self.chaincode.invoke(stub)
            if resp is None or not resp.status:
                resp = pr_pb2.Response(status=500, message="chaincode returned no response")
            done = CM(type=CM.COMPLETED, payload=resp.SerializeToString(),
                      txid=msg.txid, channel_id=msg.channel_id)
            events = stub.get_events() if hasattr(stub, "get_events") else []
            if events:  # Fabric keeps one event per transaction: the last one set
                done.chaincode_event.CopyFrom(events[-1])
            LOG.debug("[%s %s] status %s", msg.channel_id, msg.txid[:8], resp.status)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never leave the peer waiting
            LOG.exception("[%s %s] transaction failed", msg.channel_id, msg.txid[:8])
            done = self._error(msg, f"{type(exc).__name__}: {exc}")
        finally:
            self._reads.pop(msg.channel_id + msg.txid, None)
        try:
            await self._write(done)
        except Exception:
            LOG.warning("could not send the result of %s to the peer", msg.txid[:8])

    # -- requests to the peer (called by ChaincodeStub) -----------------------------------------
    async def _ask(self, mtype, payload: bytes, channel_id: str, txid: str) -> shim_pb2.ChaincodeMessage:
        msg = CM(type=mtype, payload=payload, txid=txid, channel_id=channel_id)
        fut = asyncio.get_running_loop().create_future()
        key = channel_id + txid
        q = self._queues.setdefault(key, [])
        q.append(_Pending(msg, fut))
        if len(q) == 1:
            await self._write(msg)
        return await fut

    def _resolve(self, msg: shim_pb2.ChaincodeMessage) -> None:
        key = msg.channel_id + msg.txid
        q = self._queues.get(key)
        if not q:
            LOG.warning("response for unknown transaction %s", msg.txid[:8])
            return
        p = q.pop(0)
        if not q:
            del self._queues[key]
        else:
            nxt = q[0].msg
            task = asyncio.create_task(self._write(nxt))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if p.fut.done():
            return
        if msg.type == CM.ERROR:
            p.fut.set_exception(PeerError(msg.payload.decode("utf-8", "replace")))
        else:
            p.fut.set_result(msg)

    async def handle_get_state(self, collection, key, channel_id, tx_id):
        # A transaction reads the state as committed before it (its own writes are not visible to
        # it) and the peer holds commits back while it runs, so a key read again has the same value:
        # it is asked for once per transaction (the read set is the same: a key is in it once).
        reads = self._reads.get(channel_id + tx_id, {})
        if (collection, key) not in reads:
            r = await self._ask(CM.GET_STATE, shim_pb2.GetState(key=key, collection=collection).SerializeToString(),
                                channel_id, tx_id)
            reads[(collection, key)] = r.payload
        return reads[(collection, key)]

    async def handle_put_state(self, collection, key, value, channel_id, tx_id):
        return await self._ask(CM.PUT_STATE, shim_pb2.PutState(key=key, value=value, collection=collection)
                               .SerializeToString(), channel_id, tx_id)

    async def handle_delete_state(self, collection, key, channel_id, tx_id):
        return await self._ask(CM.DEL_STATE, shim_pb2.DelState(key=key, collection=collection).SerializeToString(),
                               channel_id, tx_id)

    async def handle_get_state_by_range(self, collection, start_key, end_key, channel_id, tx_id, metadata=None):
        # like Fabric's Go shim: an open start ("") must not reach the composite keys ("\x00..."),
        # so it becomes "\x01"; partial-composite ranges start with "\x00" and are left alone
        m = shim_pb2.GetStateByRange(startKey=start_key or "\x01", endKey=end_key or "", collection=collection)
        if metadata is not None:
            m.metadata = metadata
        return await self._ask(CM.GET_STATE_BY_RANGE, m.SerializeToString(), channel_id, tx_id)

    async def handle_get_query_result(self, collection, query, channel_id, tx_id, metadata=None):
        m = shim_pb2.GetQueryResult(query=query, collection=collection)
        if metadata is not None:
            m.metadata = metadata
        return await self._ask(CM.GET_QUERY_RESULT, m.SerializeToString(), channel_id, tx_id)

    async def handle_get_history_for_key(self, key, channel_id, tx_id):
        return await self._ask(CM.GET_HISTORY_FOR_KEY, shim_pb2.GetHistoryForKey(key=key).SerializeToString(),
                               channel_id, tx_id)

    async def handle_query_state_next(self, query_id, channel_id, tx_id):
        return await self._ask(CM.QUERY_STATE_NEXT, shim_pb2.QueryStateNext(id=query_id).SerializeToString(),
                               channel_id, tx_id)

    async def handle_query_state_close(self, query_id, channel_id, tx_id):
        return await self._ask(CM.QUERY_STATE_CLOSE, shim_pb2.QueryStateClose(id=query_id).SerializeToString(),
                               channel_id, tx_id)

    async def handle_invoke_chaincode(self, chaincode_name, args, channel_id, tx_id):
        spec = cc_pb2.ChaincodeSpec(chaincode_id=cc_pb2.ChaincodeID(name=chaincode_name),
                                    input=cc_pb2.ChaincodeInput(
                                        args=[a.encode() if isinstance(a, str) else a for a in args]))
        r = await self._ask(CM.INVOKE_CHAINCODE, spec.SerializeToString(), channel_id, tx_id)
        # the peer answers with a ChaincodeMessage (COMPLETED or ERROR) wrapped in RESPONSE
        inner = CM.FromString(r.payload)
        if inner.type == CM.ERROR:
            raise PeerError(inner.payload.decode("utf-8", "replace"))
        return inner


class ChaincodeService(shim_grpc.ChaincodeServicer):
    def __init__(self, ccid: str, chaincode) -> None:
        self.ccid = ccid
        self.chaincode = chaincode

    async def Connect(self, request_iterator, context):  # noqa: N802 (gRPC name)
        peer = context.peer()
        LOG.info("peer connected from %s", peer)
        try:
            await PeerSession(self.ccid, self.chaincode, context).run(request_iterator)
        except asyncio.CancelledError:
            LOG.info("stream from %s cancelled", peer)


def _read(path: Optional[str]) -> Optional[bytes]:
    if not path:
        return None
    with open(path, "rb") as fh:
        return fh.read()


async def serve(chaincode, ccid: str, address: str, tls_key: Optional[str] = None,
                tls_cert: Optional[str] = None, client_ca: Optional[str] = None) -> None:
    server = grpc.aio.server(options=GRPC_OPTIONS)
    shim_grpc.add_ChaincodeServicer_to_server(ChaincodeService(ccid, chaincode), server)
    if tls_key and tls_cert:
        ca = _read(client_ca)
        creds = grpc.ssl_server_credentials([(_read(tls_key), _read(tls_cert))], ca, bool(ca))
        port = server.add_secure_port(address, creds)
    else:
        port = server.add_insecure_port(address)
    if not port:
        raise OSError(f"cannot listen on {address}")
    await server.start()
    LOG.info("chaincode %s listening on %s (%s)", ccid, address, "TLS" if tls_key else "plaintext")
    print(f"chaincode server {ccid} listening on {address}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:  # pragma: no cover
            pass
    waiter = asyncio.create_task(server.wait_for_termination())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    LOG.info("shutting down")
    await server.stop(3)
    for t in (waiter, stopper):
        t.cancel()


def run(chaincode, ccid: str, address: str, **tls) -> None:
    asyncio.run(serve(chaincode, ccid, address, **tls))


def quiet_shim_logging(level: int = logging.WARNING) -> None:
    """The package logs every message (payloads too) at INFO and a warning per message."""
    for name in ("fabric_chaincode_python", "fabric_shim", "fabric_contract_api"):
        logging.getLogger(name).setLevel(max(level, logging.ERROR))
    try:
        from fabric_chaincode_python.fabric_shim.logging import LOGGER as shim_logger
        shim_logger.setLevel(max(level, logging.ERROR))
    except Exception:  # pragma: no cover
        pass
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
