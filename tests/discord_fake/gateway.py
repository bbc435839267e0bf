"""The fake gateway: one aiohttp websocket per shard connection, speaking Discord's v10 JSON.

discord.py 2.7 connects with `?v=10&encoding=json&compress=zlib-stream` (or `zstd-stream` when
a zstd module is importable). It only decompresses *binary* frames and reads text frames as they
are, so the fake compresses for `zlib-stream` exactly like Discord (one zlib context per
connection, every payload ending in a Z_SYNC_FLUSH marker) and falls back to plain text frames
for `zstd-stream` or no compression.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .models import Intent

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE = 3
OP_VOICE_STATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11


@dataclass
class HeartbeatRecord:
    """One heartbeat the client sent: when (time.monotonic()), on which session, with which seq."""

    time: float
    session_id: str | None
    seq: int | None
    acked: bool


@dataclass
class GatewaySession:
    """A gateway session: outlives a connection so that RESUME can replay what was missed."""

    session_id: str
    shard: tuple[int, int]
    intents: int
    identify: dict[str, Any]
    seq: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    connection: GatewayConnection | None = None
    ready: bool = False
    resumes: int = 0

    @property
    def connected(self) -> bool:
        return self.connection is not None and not self.connection.closed

    def wants(self, intent: int) -> bool:
        return bool(self.intents & intent)


class GatewayConnection:
    """One websocket: HELLO, heartbeats, IDENTIFY/RESUME, then dispatches on demand."""

    def __init__(self, fake: FakeDiscord, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.fake = fake
        self.ws = ws
        self.compress = compress
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._send_lock = asyncio.Lock()
        self.session: GatewaySession | None = None
        self.closed = False
        self.opened_at = time.monotonic()

    async def send(self, payload: dict[str, Any]) -> None:
        """Send one payload, compressed in order (the zlib stream must not interleave)."""
        text = json.dumps(payload, separators=(",", ":"))
        async with self._send_lock:
            if self.ws.closed:
                raise ConnectionResetError("gateway websocket is closed")
            if self._zlib is not None:
                data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(text)

    async def close(self, code: int, reason: str) -> None:
        """Close with a gateway close code (4004, 4014, ...), bounded so stop() never hangs."""
        if self.closed:
            return
        self.closed = True
        self.fake._note("fake->bot", f"GATEWAY CLOSE {code} {reason}")
        try:
            await asyncio.wait_for(self.ws.close(code=code, message=reason.encode()), 2.0)
        except (TimeoutError, ConnectionError) as exc:
            log.debug("closing gateway socket: %r", exc)

    async def serve(self) -> None:
        """Run the connection until the client or the fake closes it."""
        interval = self.fake.heartbeat_interval_ms
        hello = {"op": OP_HELLO, "d": {"heartbeat_interval": interval}, "s": None, "t": None}
        await self.send(hello)
        self.fake._note("fake->bot", f"GATEWAY HELLO heartbeat_interval={interval}")
        try:
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    await self._received(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await self._received(msg.data.decode())
                elif msg.type == WSMsgType.ERROR:
                    log.debug("gateway websocket error: %r", self.ws.exception())
                    break
        finally:
            self.closed = True
            if self.session is not None and self.session.connection is self:
                self.session.connection = None
            code = self.ws.close_code
            self.fake._note("bot->fake", f"GATEWAY disconnected (close code {code})")
            self.fake._changed()

    async def _received(self, raw: str) -> None:
        try:
            payload = json.loads(raw)
        except ValueError:
            await self.close(4002, "Error while decoding payload.")
            return
        op = payload.get("op")
        data = payload.get("d")
        if op == OP_HEARTBEAT:
            await self._heartbeat(data)
        elif op == OP_IDENTIFY:
            await self._identify(data or {})
        elif op == OP_RESUME:
            await self._resume(data or {})
        elif op == OP_REQUEST_MEMBERS:
            self.fake._note("bot->fake", "GATEWAY REQUEST_GUILD_MEMBERS", data)
            await self._request_members(data or {})
        elif op in (OP_PRESENCE, OP_VOICE_STATE):
            self.fake._note("bot->fake", f"GATEWAY op {op}", data)
        else:
            self.fake._note("bot->fake", f"GATEWAY unknown op {op}", data)
            await self.close(4001, "Unknown opcode.")

    async def _heartbeat(self, seq: int | None) -> None:
        ack = self.fake.ack_heartbeats
        sid = self.session.session_id if self.session else None
        self.fake.heartbeats.append(HeartbeatRecord(time.monotonic(), sid, seq, ack))
        if ack:
            await self.send({"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None})
            self.fake.heartbeat_acks += 1
        self.fake._changed()

    async def _identify(self, data: dict[str, Any]) -> None:
        self.fake._note("bot->fake", "GATEWAY IDENTIFY", _redact(data))
        if self.session is not None:
            await self.close(4005, "Already authenticated.")
            return
        if data.get("token") not in (self.fake.token, f"Bot {self.fake.token}"):
            await self.close(4004, "Authentication failed.")
            return
        intents = int(data.get("intents") or 0)
        refused = intents & Intent.PRIVILEGED & ~self.fake.allowed_privileged_intents
        if refused:
            self.fake._note("fake->bot", f"GATEWAY refusing privileged intents {refused}")
            await self.close(4014, "Disallowed intent(s).")
            return
        shard = tuple(data.get("shard") or (0, 1))
        shard_count = self.fake.shard_count
        if len(shard) != 2 or shard[1] != shard_count or not 0 <= shard[0] < shard_count:
            await self.close(4010, "Invalid shard.")
            return
        self.fake.identifies.append(data)
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            shard=(int(shard[0]), int(shard[1])),
            intents=intents,
            identify=data,
            connection=self,
        )
        self.session = session
        self.fake._sessions[session.session_id] = session
        guilds = self.fake._guilds_for_shard(session.shard)
        ready = {
            "v": 10,
            "user": self.fake.bot_user.to_payload() | {"verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "resume_gateway_url": self.fake.gateway_url,
            "shard": list(session.shard),
            "application": {"id": str(self.fake.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "auth": {},
            "session_type": "normal",
        }
        await self.fake._dispatch_to(session, "READY", ready)
        for guild in guilds:
            await self.fake._dispatch_to(session, "GUILD_CREATE", guild.to_create_payload())
        session.ready = True
        self.fake._changed()

    async def _resume(self, data: dict[str, Any]) -> None:
        self.fake._note("bot->fake", "GATEWAY RESUME", _redact(data))
        session = self.fake._sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") not in (self.fake.token, f"Bot {self.fake.token}"):
            await self.send({"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})
            self.fake._note("fake->bot", "GATEWAY INVALID_SESSION d=false")
            return
        if session.connection is not None and session.connection is not self:
            await session.connection.close(4000, "Session resumed elsewhere.")
        session.connection = self
        session.resumes += 1
        self.session = session
        seq = int(data.get("seq") or 0)
        missed = [p for p in session.sent if int(p["s"]) > seq]
        for payload in missed:
            await self.send(payload)
            self.fake._note("fake->bot", f"GATEWAY replay {payload['t']} s={payload['s']}")
        await self.fake._dispatch_to(session, "RESUMED", {})
        session.ready = True
        self.fake._changed()

    async def _request_members(self, data: dict[str, Any]) -> None:
        if self.session is None:
            await self.close(4003, "Not authenticated.")
            return
        guild_ids = data.get("guild_id")
        if not isinstance(guild_ids, list):
            guild_ids = [guild_ids]
        for gid in guild_ids:
            guild = self.fake.guilds.get(int(gid))
            if guild is None:
                continue
            members = [m.to_payload() for m in guild.members.values()]
            user_ids = data.get("user_ids")
            if user_ids:
                wanted = {str(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
                members = [m for m in members if m["user"]["id"] in wanted]
            query = data.get("query")
            if query:
                members = [m for m in members if m["user"]["username"].startswith(query)]
            chunk = {
                "guild_id": str(guild.id),
                "members": members,
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
            }
            if data.get("nonce") is not None:
                chunk["nonce"] = data["nonce"]
            await self.fake._dispatch_to(self.session, "GUILD_MEMBERS_CHUNK", chunk)


def _redact(data: Any) -> Any:
    """Hide the token in the transcript: transcripts get pasted into notes."""
    if isinstance(data, dict) and "token" in data:
        return {**data, "token": "<redacted>"}
    return data
