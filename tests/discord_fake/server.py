"""A loopback fake of Discord's REST API v10 and gateway, for end-to-end tests of a real bot.

The unmodified discord.py client connects to it once `discord.http.Route.BASE` and
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY` point here (see `patch_discord_urls`). The
fake answers like Discord does, including its limits and error codes, records every request
(the wire log tests assert on) and lets the test play the users: slash commands, button clicks,
autocomplete, modals and messages that mention the bot.

Everything runs in the test's event loop on 127.0.0.1; a bot in a subprocess works too, since
it only needs the two URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

from .gateway import (
    OP_RECONNECT,
    GatewayConnection,
    GatewaySession,
    HeartbeatRecord,
)
from .interactions import CALLBACK_TYPE_NAMES, InteractionEvent, InteractionHandle
from .models import (
    CommandNotSynced,
    FakeAttachment,
    FakeChannel,
    FakeDiscordError,
    FakeDiscordTimeout,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    Intent,
    InvalidInvocation,
    MessageFlag,
    Perm,
    RecordedFile,
    RecordedRequest,
    StoredMessage,
    TranscriptEntry,
    iso_now,
    snowflake,
)
from .validation import ApiError, check_command, check_commands, check_message

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
MENTION_RE = re.compile(r"<@!?(\d+)>")

Handler = Callable[..., Awaitable[tuple[int, Any]]]
ChannelLike = FakeChannel | int | None
UserLike = FakeUser | int


class _Request:
    """A parsed incoming request, handed to route handlers."""

    def __init__(self, raw: web.Request, record: RecordedRequest) -> None:
        self.raw = raw
        self.record = record

    @property
    def json(self) -> Any:
        return self.record.json

    @property
    def files(self) -> list[RecordedFile]:
        return self.record.files

    @property
    def query(self) -> dict[str, str]:
        return self.record.query

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("1", "true")


class FakeDiscord:
    """The fake Discord server plus the test-facing API that plays Discord's users.

    Args:
        heartbeat_interval_ms: Sent in HELLO; short by default so tests can watch heartbeats.
        token: The bot token REST and IDENTIFY must present ("Bot <token>" on REST).
        bot_name: Username of the bot user.
        shard_count: What GET /gateway/bot recommends; the bot must IDENTIFY that many shards.
        bot_permissions: Permissions of the bot's managed role in every guild.
        allowed_privileged_intents: Privileged intents "enabled in the developer portal";
            IDENTIFY asking for others is closed with 4014, like Discord does.
        interaction_ack_timeout: Seconds the bot has for the initial interaction response
            (Discord: 3). Later callbacks get 404 Unknown interaction. None disables it.
        echo_bot_messages: Dispatch MESSAGE_CREATE/UPDATE/DELETE for the bot's own
            non-ephemeral messages, as Discord does.
        host: Interface to bind; keep 127.0.0.1.
        port: 0 picks a free port.
    """

    def __init__(
        self,
        *,
        heartbeat_interval_ms: int = 1000,
        token: str = "fake-bot-token",
        bot_name: str = "ArticleBot",
        shard_count: int = 1,
        bot_permissions: int = Perm.BOT_DEFAULT,
        allowed_privileged_intents: int = 0,
        interaction_ack_timeout: float | None = 3.0,
        echo_bot_messages: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.token = token
        self.shard_count = shard_count
        self.bot_permissions = bot_permissions
        self.allowed_privileged_intents = allowed_privileged_intents
        self.interaction_ack_timeout = interaction_ack_timeout
        self.echo_bot_messages = echo_bot_messages
        self.ack_heartbeats = True
        self.host = host
        self._port = port

        self.application_id = snowflake()
        self.bot_user = FakeUser(id=self.application_id, username=bot_name, bot=True)
        self.owner = FakeUser(id=snowflake(), username="owner")
        self.users: dict[int, FakeUser] = {u.id: u for u in (self.bot_user, self.owner)}
        self.guilds: dict[int, FakeGuild] = {}
        self.attachments: dict[int, FakeAttachment] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}

        self.requests: list[RecordedRequest] = []
        self.heartbeats: list[HeartbeatRecord] = []
        self.heartbeat_acks = 0
        self.identifies: list[dict[str, Any]] = []
        self.typing: list[tuple[float, int]] = []
        self.interactions: list[InteractionHandle] = []

        self._messages: dict[int, StoredMessage] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self._by_token: dict[str, InteractionHandle] = {}
        self._sessions: dict[str, GatewaySession] = {}
        self._connections: set[GatewayConnection] = set()
        self._transcript: list[TranscriptEntry] = []
        self._t0 = time.monotonic()
        self._change = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._routes = self._build_routes()

    # =======================================================================================
    # lifecycle
    # =======================================================================================
    async def start(self) -> FakeDiscord:
        """Bind 127.0.0.1 and serve REST, gateway and attachments; returns self."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", "/gateway", self._gateway_handler)
        app.router.add_route("*", "/{tail:.*}", self._http_handler)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._t0 = time.monotonic()
        log.info("fake Discord listening on %s (gateway %s)", self.api_base, self.gateway_url)
        return self

    async def stop(self) -> None:
        """Close every gateway socket (1001, like a Discord restart) and the HTTP server."""
        for conn in list(self._connections):
            await conn.close(1001, "fake Discord stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def api_base(self) -> str:
        """Value for discord.http.Route.BASE."""
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """The gateway URL (what GET /gateway/bot returns; discord.py adds the query)."""
        return f"ws://{self.host}:{self._port}/gateway"

    # =======================================================================================
    # world building
    # =======================================================================================
    def add_guild(self, name: str, *, channels: Iterable[str] = ("general",)) -> FakeGuild:
        """Create a guild with an @everyone role, the bot as a member and text channels.

        A guild added after READY is announced with GUILD_CREATE (the bot "joins" it).
        """
        gid = snowflake()
        everyone = FakeRole(id=gid, name="@everyone", permissions=Perm.EVERYONE_DEFAULT)
        bot_role = FakeRole(
            id=snowflake(),
            name=self.bot_user.username,
            permissions=self.bot_permissions,
            position=1,
            managed=True,
            bot_id=self.bot_user.id,
        )
        guild = FakeGuild(id=gid, name=name, owner_id=self.owner.id)
        guild.roles = {everyone.id: everyone, bot_role.id: bot_role}
        guild.members[self.owner.id] = FakeMember(user=self.owner, guild_id=gid)
        guild.members[self.bot_user.id] = FakeMember(
            user=self.bot_user, guild_id=gid, role_ids=[bot_role.id]
        )
        for position, channel_name in enumerate(channels):
            guild.channels.append(
                FakeChannel(id=snowflake(), guild_id=gid, name=channel_name, position=position)
            )
        self.guilds[gid] = guild
        self._announce_guild(guild)
        return guild

    def add_channel(self, guild: FakeGuild, name: str) -> FakeChannel:
        """Add a text channel (not announced live: add channels before the bot connects)."""
        channel = FakeChannel(
            id=snowflake(), guild_id=guild.id, name=name, position=len(guild.channels)
        )
        guild.channels.append(channel)
        return channel

    def add_member(
        self,
        guild: FakeGuild,
        user: str | FakeUser,
        permissions: int = 0,
        *,
        nick: str | None = None,
    ) -> FakeUser:
        """Make a user (or reuse one) a member of the guild.

        Args:
            guild: The guild to join.
            user: A username for a new user, or an existing FakeUser.
            permissions: Extra permissions on a role of the member's own, on top of
                @everyone; 0 (the default) means an ordinary member without Manage Server
                or Administrator.
            nick: Optional guild nickname.

        Returns:
            The user; their membership is `guild.members[user.id]`.
        """
        if isinstance(user, str):
            user = FakeUser(id=snowflake(), username=user)
        self.users[user.id] = user
        role_ids: list[int] = []
        if permissions:
            role = FakeRole(
                id=snowflake(),
                name=f"{user.username}-role",
                permissions=permissions,
                position=len(guild.roles),
            )
            guild.roles[role.id] = role
            role_ids.append(role.id)
        guild.members[user.id] = FakeMember(
            user=user, guild_id=guild.id, role_ids=role_ids, nick=nick
        )
        return user

    def add_attachment(
        self,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        *,
        description: str | None = None,
    ) -> FakeAttachment:
        """Register bytes the fake serves at `attachment.url` (for attachment options)."""
        if self._runner is None:
            raise FakeDiscordError(
                "start() the fake before adding attachments (URLs need its port)"
            )
        att_id = snowflake()
        url = f"{self.base_url}/attachments/{att_id}/{filename}"
        attachment = FakeAttachment(
            id=att_id,
            filename=filename,
            data=bytes(data),
            content_type=content_type or _guess_type(filename),
            url=url,
            description=description,
        )
        self.attachments[att_id] = attachment
        return attachment

    # =======================================================================================
    # reading what happened
    # =======================================================================================
    @property
    def unknown_requests(self) -> list[RecordedRequest]:
        """Requests to routes the fake does not implement (they got a 404)."""
        return [r for r in self.requests if not r.known]

    def message(self, message_id: int | None) -> StoredMessage | None:
        return self._messages.get(int(message_id)) if message_id is not None else None

    def messages_in(
        self, channel: FakeChannel | int, *, include_deleted: bool = False
    ) -> list[StoredMessage]:
        """Every message in a channel, oldest first: users', the bot's and ephemeral ones."""
        cid = channel.id if isinstance(channel, FakeChannel) else int(channel)
        found = (self._messages[i] for i in self._channel_messages.get(cid, []))
        return [m for m in found if include_deleted or not m.deleted]

    def bot_messages_in(self, channel: FakeChannel | int) -> list[StoredMessage]:
        return [m for m in self.messages_in(channel) if m.author_id == self.bot_user.id]

    def message_sends(self) -> list[tuple[RecordedRequest, dict[str, Any]]]:
        """Every request that sent or edited a message, with its message-shaped body.

        Use it for wire-level rules, e.g. "every message is sent with mentions disabled":
        `all(p.get("allowed_mentions", {}).get("parse") == [] for _, p in fake.message_sends())`.
        """
        out = []
        for req in self.requests:
            payload = req.message_payload
            if payload is not None:
                out.append((req, payload))
        return out

    def registered_commands(self, guild: FakeGuild | int | None = None) -> list[dict[str, Any]]:
        """Commands the bot synced: global ones, or one guild's."""
        if guild is None:
            return list(self.global_commands)
        gid = guild.id if isinstance(guild, FakeGuild) else int(guild)
        return list(self.guild_commands.get(gid, []))

    def command(self, name: str, guild: FakeGuild | int | None = None) -> dict[str, Any]:
        """The registered chat-input command a user in `guild` would invoke (guild ones first).

        Raises:
            CommandNotSynced: the bot never registered it; the message lists what it did.
        """
        gid = guild.id if isinstance(guild, FakeGuild) else guild
        pools = ([self.guild_commands.get(int(gid), [])] if gid is not None else []) + [
            self.global_commands
        ]
        for pool in pools:
            for cmd in pool:
                if cmd["name"] == name and int(cmd.get("type", 1)) == 1:
                    return cmd
        synced = {
            "global": [c["name"] for c in self.global_commands],
            **{str(g): [c["name"] for c in cmds] for g, cmds in self.guild_commands.items()},
        }
        syncs = [r.summary() for r in self.requests if r.route and "/commands" in r.route]
        raise CommandNotSynced(
            f"/{name} was never synced to the fake (guild {gid}). Registered commands: {synced}. "
            f"Command requests seen: {syncs or 'none'} - did the bot call tree.sync()?"
        )

    def heartbeat_gaps(self, session_id: str | None = None) -> list[float]:
        """Seconds between consecutive heartbeats (of one session, default: the latest)."""
        beats = self.heartbeats
        if session_id is None and beats:
            session_id = beats[-1].session_id
        times = [b.time for b in beats if b.session_id == session_id]
        return [b - a for a, b in zip(times, times[1:], strict=False)]

    def max_heartbeat_gap(self, session_id: str | None = None) -> float:
        """The longest gap between heartbeats: near the interval unless the loop was blocked."""
        return max(self.heartbeat_gaps(session_id), default=0.0)

    @property
    def sessions(self) -> list[GatewaySession]:
        return list(self._sessions.values())

    @property
    def ready_sessions(self) -> list[GatewaySession]:
        return [s for s in self._sessions.values() if s.ready and s.connected]

    def transcript(
        self,
        *,
        include_heartbeats: bool = False,
        last: int | None = None,
        max_body: int = 1500,
    ) -> str:
        """A readable log of everything received and sent, for pasting into notes.

        Args:
            include_heartbeats: Heartbeats and ACKs are left out unless asked for.
            last: Only the last N entries.
            max_body: Bodies are cut to this many characters.
        """
        entries = [
            e for e in self._transcript if include_heartbeats or "HEARTBEAT" not in e.summary
        ]
        if last is not None:
            entries = entries[-last:]
        lines = []
        for entry in entries:
            line = f"[{entry.time:8.3f}s] {entry.direction:9} {entry.summary}"
            if entry.body is not None:
                body = json.dumps(entry.body, ensure_ascii=False, default=str)
                if len(body) > max_body:
                    body = body[:max_body] + f"... ({len(body)} chars)"
                line += f"\n{'':22}{body}"
            lines.append(line)
        if not include_heartbeats and self.heartbeats:
            lines.append(
                f"({len(self.heartbeats)} heartbeats received, {self.heartbeat_acks} ACKed, "
                "not shown)"
            )
        return "\n".join(lines)

    # =======================================================================================
    # waiting
    # =======================================================================================
    def _changed(self) -> None:
        """Wake every waiter: something happened on the wire."""
        self._change.set()
        self._change = asyncio.Event()

    async def _wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float,
        what: str,
        *,
        context: Callable[[], str] | str = "",
    ) -> Any:
        """Re-check `predicate` on every change until it returns something truthy.

        Raises:
            FakeDiscordTimeout: with what was awaited and the tail of the transcript, so a
                failing test explains itself instead of hanging.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result is not None and result is not False:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                extra = context() if callable(context) else context
                raise FakeDiscordTimeout(
                    f"timed out after {timeout:.1f}s waiting for {what}."
                    + (f"\n{extra}" if extra else "")
                    + f"\nLast wire activity:\n{self.transcript(last=20, max_body=400)}"
                )
            event = self._change
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_ready(
        self, timeout: float = 10.0, *, watch: asyncio.Future[Any] | None = None
    ) -> None:
        """Wait until every shard has IDENTIFYed and been sent READY plus its GUILD_CREATEs.

        Args:
            timeout: Seconds before failing with the transcript.
            watch: Optionally the task running the bot: if it ends first (e.g. LoginFailure,
                PrivilegedIntentsRequired) its exception is raised at once instead of waiting.
        """

        def ready() -> bool | None:
            if watch is not None and watch.done():
                exc = watch.exception() if not watch.cancelled() else None
                raise FakeDiscordError(
                    f"the bot task ended before READY: {exc!r}\n{self.transcript(last=20)}"
                ) from exc
            shards = {s.shard[0] for s in self.ready_sessions}
            return len(shards) >= self.shard_count or None

        await self._wait_until(ready, timeout, f"{self.shard_count} shard(s) to be READY")

    async def wait_message(
        self,
        channel: FakeChannel | int,
        predicate: Callable[[StoredMessage], bool] | None = None,
        timeout: float = 5.0,
        *,
        after: StoredMessage | None = None,
    ) -> StoredMessage:
        """Wait for a bot message in a channel that matches `predicate` (default: any)."""
        after_id = after.id if after else 0

        def find() -> StoredMessage | None:
            for msg in self.bot_messages_in(channel):
                if msg.id > after_id and not msg.loading and (predicate is None or predicate(msg)):
                    return msg
            return None

        return await self._wait_until(find, timeout, f"a bot message in channel {channel}")

    async def wait_reply(self, message: StoredMessage, timeout: float = 5.0) -> StoredMessage:
        """Wait for the bot's reply (message_reference) to a message."""
        return await self.wait_message(
            message.channel_id,
            lambda m: (m.message_reference or {}).get("message_id") == str(message.id),
            timeout,
        )

    # =======================================================================================
    # playing the users: interactions
    # =======================================================================================
    async def slash(
        self,
        guild: FakeGuild,
        channel: ChannelLike,
        user: UserLike,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        attachments: dict[str, Any] | None = None,
        locale: str = "en-US",
        bypass_default_permissions: bool = False,
    ) -> InteractionHandle:
        """Invoke a slash command as `user` and return the interaction handle at once.

        Args:
            guild: Where.
            channel: A FakeChannel, a channel id, or None for the guild's first channel.
            user: Who (must be a member: see add_member).
            name: Command name; "group sub" for subcommands.
            options: Option values by name: str, int, float, bool, FakeUser, FakeChannel,
                FakeRole, FakeAttachment, or (filename, bytes[, content_type]) for attachments.
            attachments: Same as attachment options, kept separate for readability.
            locale: The user's client locale.
            bypass_default_permissions: Discord hides commands whose
                default_member_permissions the user lacks; True simulates a server admin
                overriding that, to test the bot's own runtime check.

        Raises:
            CommandNotSynced: the bot never registered the command.
            InvalidInvocation: options the Discord client would not let the user send.
        """
        guild, chan, member_user = self._resolve(guild, channel, user)
        parts = name.split()
        cmd = self.command(parts[0], guild)
        perms = guild.permissions_of(member_user.id)
        required = cmd.get("default_member_permissions")
        if required is not None and not bypass_default_permissions:
            needed = int(required)
            if perms & needed != needed:
                raise InvalidInvocation(
                    f"{member_user.username} lacks default_member_permissions={needed} of "
                    f"/{parts[0]}, so Discord would not offer the command; pass "
                    "bypass_default_permissions=True to test the bot's own check"
                )
        contexts = cmd.get("contexts")
        if contexts is not None and 0 not in contexts:
            raise InvalidInvocation(f"/{parts[0]} is not allowed in guilds (contexts={contexts})")
        all_options = dict(options or {})
        all_options.update(attachments or {})
        resolved: dict[str, dict[str, Any]] = {}
        schema = cmd.get("options") or []
        for sub in parts[1:]:
            sub_opt = next(
                (o for o in schema if o.get("name") == sub and o.get("type") in (1, 2)), None
            )
            if sub_opt is None:
                raise InvalidInvocation(f"/{parts[0]} has no subcommand {sub!r}")
            schema = sub_opt.get("options") or []
        built = self._build_options(schema, all_options, guild, resolved, focused=None, label=name)
        for sub in reversed(parts[1:]):
            kind = 1 if sub == parts[-1] else 2
            built = [{"name": sub, "type": kind, "options": built}]
        data: dict[str, Any] = {
            "id": cmd["id"],
            "name": parts[0],
            "type": 1,
            "options": built,
        }
        if resolved:
            data["resolved"] = resolved
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        return await self._fire_interaction(
            2, guild, chan, member_user, data, label=f"/{name}", locale=locale
        )

    async def autocomplete(
        self,
        guild: FakeGuild,
        channel: ChannelLike,
        user: UserLike,
        name: str,
        focused: str,
        options: dict[str, Any] | None = None,
        *,
        timeout: float = 3.0,
    ) -> list[dict[str, Any]]:
        """Type into an autocomplete option and return the choices the bot answered.

        Args:
            focused: Name of the option being typed; its value is options[focused] (a str,
                as Discord sends partial input), default "".
            options: Values of the options filled so far.
        """
        guild, chan, member_user = self._resolve(guild, channel, user)
        parts = name.split()
        cmd = self.command(parts[0], guild)
        schema = cmd.get("options") or []
        for sub in parts[1:]:
            schema = next(o for o in schema if o.get("name") == sub).get("options") or []
        values = dict(options or {})
        values.setdefault(focused, "")
        resolved: dict[str, dict[str, Any]] = {}
        built = self._build_options(schema, values, guild, resolved, focused=focused, label=name)
        for sub in reversed(parts[1:]):
            kind = 1 if sub == parts[-1] else 2
            built = [{"name": sub, "type": kind, "options": built}]
        data: dict[str, Any] = {"id": cmd["id"], "name": parts[0], "type": 1, "options": built}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        handle = await self._fire_interaction(
            4, guild, chan, member_user, data, label=f"/{name} autocomplete {focused}"
        )
        return await handle.wait_autocomplete(timeout)

    async def click(
        self,
        message: StoredMessage | int,
        custom_id: str,
        user: UserLike,
        *,
        values: list[str] | None = None,
    ) -> InteractionHandle:
        """Press a button (or choose select values) on a message the bot sent.

        Raises:
            InvalidInvocation: no such component, or it is disabled.
        """
        msg = message if isinstance(message, StoredMessage) else self.message(int(message))
        if msg is None or msg.deleted:
            raise InvalidInvocation(f"message {message!r} does not exist (or was deleted)")
        component = msg.find_component(custom_id)
        if component is None:
            raise InvalidInvocation(
                f"message {msg.id} has no component {custom_id!r}; it has {msg.custom_ids()}"
            )
        if component.get("disabled"):
            raise InvalidInvocation(f"component {custom_id!r} on message {msg.id} is disabled")
        if msg.guild_id is None:
            raise InvalidInvocation("only guild messages are supported")
        guild = self.guilds[msg.guild_id]
        guild, chan, member_user = self._resolve(guild, msg.channel_id, user)
        ctype = int(component.get("type", 2))
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": ctype}
        if ctype in (3, 5, 6, 7, 8):
            data["values"] = list(values or [])
        elif values:
            raise InvalidInvocation("values are only for select menus")
        message_payload = msg.snapshot()
        message_payload.setdefault("guild_id", str(guild.id))
        return await self._fire_interaction(
            3,
            guild,
            chan,
            member_user,
            data,
            label=f"click {custom_id!r}",
            message=message_payload,
            source_message_id=msg.id,
        )

    async def submit_modal(
        self, modal_from: InteractionHandle, user: UserLike, values: dict[str, str]
    ) -> InteractionHandle:
        """Fill in and submit the modal the bot showed in `modal_from` (callback type 9)."""
        modal = modal_from.modal
        if modal is None:
            raise InvalidInvocation(f"{modal_from.label} did not answer with a modal")
        guild, chan, member_user = self._resolve(modal_from.guild, modal_from.channel_id, user)
        missing = set(values)

        def fill(component: dict[str, Any]) -> dict[str, Any]:
            cid = component.get("custom_id")
            missing.discard(cid)
            return {
                "type": component.get("type", 4),
                "id": component.get("id", 0),
                "custom_id": cid,
                "value": values.get(cid, component.get("value") or ""),
            }

        components = []
        for row in modal.get("components") or []:
            if row.get("type") == 1:
                components.append(
                    {"type": 1, "components": [fill(c) for c in row.get("components") or []]}
                )
            elif row.get("type") == 18 and isinstance(row.get("component"), dict):
                components.append({"type": 18, "component": fill(row["component"])})
        if missing:
            raise InvalidInvocation(f"modal has no inputs {sorted(missing)}")
        data = {"custom_id": modal.get("custom_id"), "components": components}
        source = modal_from.payload.get("message")
        return await self._fire_interaction(
            5,
            guild,
            chan,
            member_user,
            data,
            label=f"modal {modal.get('custom_id')!r}",
            message=source,
            source_message_id=modal_from.source_message_id,
        )

    # =======================================================================================
    # playing the users: messages
    # =======================================================================================
    async def mention(
        self, guild: FakeGuild, channel: ChannelLike, user: UserLike, text: str
    ) -> StoredMessage:
        """Post "<@BOT> text" as `user`; the bot gets it (with content) as MESSAGE_CREATE."""
        return await self.send_user_message(guild, channel, user, f"{self.bot_user.mention} {text}")

    async def send_user_message(
        self,
        guild: FakeGuild,
        channel: ChannelLike,
        user: UserLike,
        content: str,
        *,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        """Post a message as a user. Content reaches the bot only if Discord would deliver it:
        with the message-content intent, or when the message mentions the bot."""
        guild, chan, member_user = self._resolve(guild, channel, user)
        member = guild.members[member_user.id]
        payload: dict[str, Any] = {
            "id": str(snowflake()),
            "type": 19 if reply_to else 0,
            "channel_id": str(chan.id),
            "author": member_user.to_payload(),
            "content": content,
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "flags": 0,
            "nonce": str(snowflake()),
        }
        if reply_to is not None:
            payload["message_reference"] = {
                "type": 0,
                "message_id": str(reply_to.id),
                "channel_id": str(reply_to.channel_id),
                "guild_id": str(guild.id),
            }
            payload["referenced_message"] = reply_to.snapshot()
        pinged = self._pinged(content, None, guild, reply_to)
        payload["mentions"] = [self._mention_payload(guild, uid) for uid in pinged]
        msg = self._store(StoredMessage(payload=payload, guild_id=guild.id, pinged_user_ids=pinged))
        event = payload | {"guild_id": str(guild.id), "member": member.to_payload(with_user=False)}
        self._note("test", f"user {member_user.username} says in #{chan.name}: {content!r}")
        delivered = await self._deliver_message_event("MESSAGE_CREATE", event, guild)
        if not delivered:
            log.warning("no connected session wanted MESSAGE_CREATE (GUILD_MESSAGES intent?)")
        return msg

    # =======================================================================================
    # gateway control
    # =======================================================================================
    async def dispatch(
        self, event: str, data: dict[str, Any], *, guild: FakeGuild | None = None
    ) -> int:
        """Send a raw DISPATCH to the session(s) of a guild's shard (all if guild is None)."""
        sessions = self._sessions_for(guild)
        for session in sessions:
            await self._dispatch_to(session, event, data)
        return len(sessions)

    async def force_reconnect(self, timeout: float = 10.0) -> None:
        """Send op 7 RECONNECT to every session and wait until each has RESUMEd."""
        before = {s.session_id: s.resumes for s in self.ready_sessions}
        for session in self.ready_sessions:
            assert session.connection is not None
            await session.connection.send({"op": OP_RECONNECT, "d": None, "s": None, "t": None})
            self._note("fake->bot", "GATEWAY RECONNECT (op 7)")

        def resumed() -> bool | None:
            done = [
                self._sessions[sid].resumes > n and self._sessions[sid].connected
                for sid, n in before.items()
            ]
            return all(done) or None

        await self._wait_until(resumed, timeout, "the bot to RESUME after op 7")

    # =======================================================================================
    # internals: resolution, payloads, storage
    # =======================================================================================
    def _resolve(
        self, guild: FakeGuild, channel: ChannelLike, user: UserLike
    ) -> tuple[FakeGuild, FakeChannel, FakeUser]:
        if guild.id not in self.guilds:
            raise InvalidInvocation(f"guild {guild.id} is not known to this fake")
        if channel is None:
            chan = guild.channel
        else:
            cid = channel.id if isinstance(channel, FakeChannel) else int(channel)
            found = guild.get_channel(cid)
            if found is None:
                raise InvalidInvocation(f"channel {cid} is not in guild {guild.name}")
            chan = found
        uid = user.id if isinstance(user, FakeUser) else int(user)
        if uid not in guild.members:
            raise InvalidInvocation(f"user {uid} is not a member of {guild.name}; add_member first")
        return guild, chan, guild.members[uid].user

    def _build_options(
        self,
        schema: list[dict[str, Any]],
        values: dict[str, Any],
        guild: FakeGuild,
        resolved: dict[str, dict[str, Any]],
        *,
        focused: str | None,
        label: str,
    ) -> list[dict[str, Any]]:
        """Turn test values into interaction options, refusing what Discord's client would."""
        by_name = {o["name"]: o for o in schema}
        unknown = set(values) - set(by_name)
        if unknown:
            raise InvalidInvocation(
                f"/{label} has no options {sorted(unknown)}; it has {sorted(by_name)}"
            )
        out: list[dict[str, Any]] = []
        for opt in schema:
            name = opt["name"]
            if name not in values:
                if opt.get("required") and focused is None:
                    raise InvalidInvocation(f"/{label}: required option {name!r} is missing")
                continue
            value = values[name]
            otype = int(opt["type"])
            if name == focused:
                out.append({"name": name, "type": otype, "value": str(value), "focused": True})
                continue
            out.append(
                {
                    "name": name,
                    "type": otype,
                    "value": self._option_value(opt, value, guild, resolved, label),
                }
            )
        return out

    def _option_value(
        self,
        opt: dict[str, Any],
        value: Any,
        guild: FakeGuild,
        resolved: dict[str, dict[str, Any]],
        label: str,
    ) -> Any:
        otype = int(opt["type"])
        name = opt["name"]
        where = f"/{label} option {name!r}"
        if otype == 3:
            if not isinstance(value, str):
                raise InvalidInvocation(f"{where} takes a string, got {value!r}")
            if len(value) < int(opt.get("min_length", 0)) or len(value) > int(
                opt.get("max_length", 6000)
            ):
                raise InvalidInvocation(f"{where}: length {len(value)} outside the allowed range")
        elif otype == 4:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInvocation(f"{where} takes an integer, got {value!r}")
        elif otype == 10:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInvocation(f"{where} takes a number, got {value!r}")
        elif otype == 5 and not isinstance(value, bool):
            raise InvalidInvocation(f"{where} takes a boolean, got {value!r}")
        if otype in (4, 10):
            if "min_value" in opt and value < opt["min_value"]:
                raise InvalidInvocation(f"{where}: {value} < min_value {opt['min_value']}")
            if "max_value" in opt and value > opt["max_value"]:
                raise InvalidInvocation(f"{where}: {value} > max_value {opt['max_value']}")
        if otype in (3, 4, 10):
            choices = opt.get("choices")
            if choices and value not in [c["value"] for c in choices]:
                raise InvalidInvocation(f"{where}: {value!r} is not one of the choices {choices}")
            return value
        if otype == 5:
            return value
        if otype in (6, 9) and isinstance(value, FakeUser):
            resolved.setdefault("users", {})[str(value.id)] = value.to_payload()
            member = guild.members.get(value.id)
            if member is not None:
                perms = guild.permissions_of(value.id)
                resolved.setdefault("members", {})[str(value.id)] = member.to_payload(
                    with_user=False, permissions=perms
                )
            return str(value.id)
        if otype in (8, 9) and isinstance(value, FakeRole):
            resolved.setdefault("roles", {})[str(value.id)] = value.to_payload()
            return str(value.id)
        if otype == 7 and isinstance(value, FakeChannel):
            resolved.setdefault("channels", {})[str(value.id)] = {
                "id": str(value.id),
                "name": value.name,
                "type": value.type,
                "permissions": str(guild.permissions_of(self.bot_user.id)),
                "parent_id": None,
                "guild_id": str(guild.id),
            }
            return str(value.id)
        if otype == 11:
            if isinstance(value, tuple):
                value = self.add_attachment(*value)
            if not isinstance(value, FakeAttachment):
                raise InvalidInvocation(
                    f"{where} takes a FakeAttachment or (filename, bytes[, content_type])"
                )
            resolved.setdefault("attachments", {})[str(value.id)] = value.to_payload(ephemeral=True)
            return str(value.id)
        raise InvalidInvocation(f"{where}: unsupported value {value!r} for option type {otype}")

    async def _fire_interaction(
        self,
        itype: int,
        guild: FakeGuild,
        channel: FakeChannel,
        user: FakeUser,
        data: dict[str, Any],
        *,
        label: str,
        locale: str = "en-US",
        message: dict[str, Any] | None = None,
        source_message_id: int | None = None,
    ) -> InteractionHandle:
        sessions = self._sessions_for(guild)
        if not sessions:
            raise FakeDiscordError(
                "no READY gateway session for this guild's shard: await fake.wait_ready() first"
            )
        interaction_id = snowflake()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        perms = guild.permissions_of(user.id)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(channel.id),
            "channel": channel.to_payload(permissions=perms),
            "member": guild.members[user.id].to_payload(permissions=perms),
            "token": token,
            "version": 1,
            "app_permissions": str(guild.permissions_of(self.bot_user.id)),
            "locale": locale,
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if message is not None:
            payload["message"] = message
        handle = InteractionHandle(
            self,
            interaction_id=interaction_id,
            token=token,
            type=itype,
            payload=payload,
            guild=guild,
            channel_id=channel.id,
            user=user,
            label=label,
            source_message_id=source_message_id,
        )
        self._by_token[token] = handle
        self.interactions.append(handle)
        self._note("test", f"user {user.username} invokes {label} in #{channel.name}")
        await self._dispatch_to(sessions[0], "INTERACTION_CREATE", payload)
        return handle

    def _sessions_for(self, guild: FakeGuild | None) -> list[GatewaySession]:
        ready = self.ready_sessions
        if guild is None:
            return ready
        shard = (guild.id >> 22) % self.shard_count
        return [s for s in ready if s.shard[0] == shard]

    def _guilds_for_shard(self, shard: tuple[int, int]) -> list[FakeGuild]:
        return [g for g in self.guilds.values() if (g.id >> 22) % shard[1] == shard[0]]

    def _announce_guild(self, guild: FakeGuild) -> None:
        sessions = self._sessions_for(guild)
        if not sessions:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        for session in sessions:
            loop.create_task(self._dispatch_to(session, "GUILD_CREATE", guild.to_create_payload()))

    async def _dispatch_to(self, session: GatewaySession, event: str, data: dict[str, Any]) -> None:
        """Number and send one DISPATCH; kept for replay if the socket is down (RESUME)."""
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.sent.append(payload)
        self._note("fake->bot", f"GATEWAY DISPATCH {event} s={session.seq}", data)
        conn = session.connection
        if conn is None or conn.closed:
            log.debug("session %s is disconnected; %s kept for RESUME", session.session_id, event)
            return
        try:
            await conn.send(payload)
        except ConnectionError as exc:
            log.debug("dispatch %s failed: %r", event, exc)
        self._changed()

    async def _deliver_message_event(
        self, event: str, data: dict[str, Any], guild: FakeGuild
    ) -> int:
        """Dispatch a message event the way intents filter it; returns sessions reached."""
        count = 0
        bot_id = str(self.bot_user.id)
        for session in self._sessions_for(guild):
            if not session.wants(Intent.GUILD_MESSAGES):
                continue
            payload = data
            author = (data.get("author") or {}).get("id")
            mentioned = any(m.get("id") == bot_id for m in data.get("mentions") or [])
            if (
                not session.wants(Intent.MESSAGE_CONTENT)
                and author != bot_id
                and not mentioned
                and event != "MESSAGE_DELETE"
            ):
                payload = dict(data)
                for key in ("content",):
                    payload[key] = ""
                for key in ("embeds", "attachments", "components"):
                    payload[key] = []
                payload.pop("poll", None)
            await self._dispatch_to(session, event, payload)
            count += 1
        return count

    def _note(self, direction: str, summary: str, body: Any = None) -> None:
        self._transcript.append(
            TranscriptEntry(time.monotonic() - self._t0, direction, summary, body)
        )

    def _store(self, msg: StoredMessage) -> StoredMessage:
        self._messages[msg.id] = msg
        self._channel_messages.setdefault(msg.channel_id, []).append(msg.id)
        self._changed()
        return msg

    def _mention_payload(self, guild: FakeGuild | None, user_id: int) -> dict[str, Any]:
        user = self.users[user_id]
        payload = user.to_payload()
        if guild is not None and user_id in guild.members:
            payload["member"] = guild.members[user_id].to_payload(with_user=False)
        return payload

    def _pinged(
        self,
        content: str,
        allowed: dict[str, Any] | None,
        guild: FakeGuild | None,
        reply_to: StoredMessage | None,
    ) -> list[int]:
        """User ids a message actually pings, honouring allowed_mentions like Discord."""
        ids = [int(m) for m in MENTION_RE.findall(content or "")]
        ids = [i for i in dict.fromkeys(ids) if i in self.users]
        if allowed is None:
            pinged = ids
            replied = True
        else:
            parse = set(allowed.get("parse") or [])
            listed = {int(u) for u in allowed.get("users") or []}
            pinged = [i for i in ids if "users" in parse or i in listed]
            replied = bool(allowed.get("replied_user"))
        if reply_to is not None and replied and reply_to.author_id not in pinged:
            pinged.append(reply_to.author_id)
        return pinged

    def _attachments_from(
        self, body: dict[str, Any], files: list[RecordedFile], ephemeral: bool
    ) -> list[dict[str, Any]]:
        """Attachment objects for newly uploaded files (files[n] <-> attachments[].id == n)."""
        meta = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
        out = []
        for index, part in enumerate(files):
            match = re.fullmatch(r"files\[(\d+)\]", part.field or "")
            key = match.group(1) if match else str(index)
            info = meta.get(key, {})
            att = self.add_attachment(
                info.get("filename") or part.filename or f"file{key}",
                part.data,
                part.content_type,
                description=info.get("description"),
            )
            out.append(att.to_payload(ephemeral=ephemeral))
        return out

    def _new_message(
        self,
        *,
        channel_id: int,
        guild: FakeGuild | None,
        body: dict[str, Any],
        files: list[RecordedFile],
        msg_type: int,
        extra_flags: int = 0,
        handle: InteractionHandle | None = None,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        """Build the message object Discord would return for a create request."""
        flags = int(body.get("flags") or 0) & (
            MessageFlag.SUPPRESS_EMBEDS
            | MessageFlag.SUPPRESS_NOTIFICATIONS
            | MessageFlag.IS_COMPONENTS_V2
            | (MessageFlag.EPHEMERAL if handle is not None else 0)
        )
        flags |= extra_flags
        ephemeral = bool(flags & MessageFlag.EPHEMERAL)
        content = body.get("content") or ""
        allowed = body.get("allowed_mentions")
        pinged = self._pinged(content, allowed, guild, reply_to)
        payload: dict[str, Any] = {
            "id": str(snowflake()),
            "type": msg_type,
            "channel_id": str(channel_id),
            "author": self.bot_user.to_payload(),
            "content": content,
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [self._mention_payload(guild, uid) for uid in pinged],
            "mention_roles": [],
            "attachments": self._attachments_from(body, files, ephemeral),
            "embeds": [_normalize_embed(e) for e in body.get("embeds") or []],
            "components": copy.deepcopy(body.get("components") or []),
            "pinned": False,
            "flags": flags,
        }
        if body.get("nonce") is not None:
            payload["nonce"] = body["nonce"]
        if body.get("poll"):
            payload["poll"] = copy.deepcopy(body["poll"])
        if reply_to is not None:
            payload["message_reference"] = {
                "type": 0,
                "message_id": str(reply_to.id),
                "channel_id": str(reply_to.channel_id),
                **({"guild_id": str(guild.id)} if guild else {}),
            }
            payload["referenced_message"] = reply_to.snapshot()
        if handle is not None:
            payload["webhook_id"] = str(self.application_id)
            payload["application_id"] = str(self.application_id)
            payload["interaction_metadata"] = {
                "id": str(handle.id),
                "type": handle.type,
                "user": handle.user.to_payload(),
                "authorizing_integration_owners": {"0": str(handle.guild.id)},
            }
            if handle.type == 2:
                payload["interaction"] = {
                    "id": str(handle.id),
                    "type": handle.type,
                    "name": handle.label.lstrip("/"),
                    "user": handle.user.to_payload(),
                }
        msg = StoredMessage(
            payload=payload,
            guild_id=guild.id if guild else None,
            interaction_id=handle.id if handle else None,
            pinged_user_ids=pinged,
        )
        return self._store(msg)

    def _edit_message(
        self,
        msg: StoredMessage,
        body: dict[str, Any],
        files: list[RecordedFile],
        *,
        keep_flags: int = 0,
    ) -> StoredMessage:
        """Apply a PATCH the way Discord does: given fields replace, missing ones stay."""
        payload = msg.payload
        was_loading = msg.loading
        if "content" in body:
            payload["content"] = body["content"] or ""
        if "embeds" in body:
            payload["embeds"] = [_normalize_embed(e) for e in body["embeds"] or []]
        if "components" in body:
            payload["components"] = copy.deepcopy(body["components"] or [])
        if body.get("flags") is not None:
            settable = MessageFlag.SUPPRESS_EMBEDS | MessageFlag.IS_COMPONENTS_V2
            kept = msg.flags & (MessageFlag.EPHEMERAL | keep_flags)
            payload["flags"] = kept | (int(body["flags"]) & settable)
        if "attachments" in body and body["attachments"] is not None:
            keep = {str(a.get("id")) for a in body["attachments"] if isinstance(a, dict)}
            payload["attachments"] = [a for a in msg.attachments if a["id"] in keep]
        if files:
            payload["attachments"] = list(
                payload.get("attachments") or []
            ) + self._attachments_from(body, files, msg.ephemeral)
        if was_loading:
            payload["flags"] = msg.flags & ~MessageFlag.LOADING
        else:
            payload["edited_timestamp"] = iso_now()
        if "content" in body or "allowed_mentions" in body:
            guild = self.guilds.get(msg.guild_id) if msg.guild_id else None
            pinged = self._pinged(payload["content"], body.get("allowed_mentions"), guild, None)
            msg.pinged_user_ids = pinged
            payload["mentions"] = [self._mention_payload(guild, uid) for uid in pinged]
        msg.versions.append(copy.deepcopy(payload))
        self._changed()
        return msg

    async def _echo(self, event: str, msg: StoredMessage) -> None:
        """Tell the bot's gateway about its own message, as Discord does (not ephemerals)."""
        if not self.echo_bot_messages or msg.ephemeral or msg.guild_id is None:
            return
        guild = self.guilds.get(msg.guild_id)
        if guild is None:
            return
        if event == "MESSAGE_DELETE":
            data = {"id": str(msg.id), "channel_id": str(msg.channel_id), "guild_id": str(guild.id)}
        else:
            data = msg.snapshot() | {"guild_id": str(guild.id)}
            bot_member = guild.members.get(self.bot_user.id)
            if bot_member is not None:
                data["member"] = bot_member.to_payload(with_user=False)
        await self._deliver_message_event(event, data, guild)

    # =======================================================================================
    # HTTP plumbing
    # =======================================================================================
    def _build_routes(self) -> list[tuple[str, re.Pattern[str], str, Handler, bool]]:
        table: list[tuple[str, str, Handler, bool]] = [
            ("GET", "/gateway", self._r_gateway, False),
            ("GET", "/gateway/bot", self._r_gateway_bot, True),
            ("GET", "/users/@me", self._r_me, True),
            ("GET", "/users/{user_id}", self._r_user, True),
            ("GET", "/oauth2/applications/@me", self._r_app, True),
            ("GET", "/applications/@me", self._r_app, True),
            ("GET", "/applications/{application_id}/commands", self._r_list_cmds, True),
            ("PUT", "/applications/{application_id}/commands", self._r_put_cmds, True),
            ("POST", "/applications/{application_id}/commands", self._r_post_cmd, True),
            ("GET", "/applications/{application_id}/commands/{command_id}", self._r_get_cmd, True),
            (
                "PATCH",
                "/applications/{application_id}/commands/{command_id}",
                self._r_patch_cmd,
                True,
            ),
            (
                "DELETE",
                "/applications/{application_id}/commands/{command_id}",
                self._r_del_cmd,
                True,
            ),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._r_list_cmds,
                True,
            ),
            (
                "PUT",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._r_put_cmds,
                True,
            ),
            (
                "POST",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._r_post_cmd,
                True,
            ),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self._r_get_cmd,
                True,
            ),
            (
                "PATCH",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self._r_patch_cmd,
                True,
            ),
            (
                "DELETE",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self._r_del_cmd,
                True,
            ),
            ("GET", "/guilds/{guild_id}", self._r_guild, True),
            ("GET", "/guilds/{guild_id}/channels", self._r_guild_channels, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._r_member, True),
            ("GET", "/channels/{channel_id}", self._r_channel, True),
            ("POST", "/channels/{channel_id}/typing", self._r_typing, True),
            ("GET", "/channels/{channel_id}/messages", self._r_history, True),
            ("POST", "/channels/{channel_id}/messages", self._r_create_msg, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._r_get_msg, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._r_edit_msg, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._r_delete_msg, True),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._r_react,
                True,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._r_react,
                True,
            ),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._r_callback, False),
            ("POST", "/webhooks/{application_id}/{token}", self._r_followup, False),
            (
                "GET",
                "/webhooks/{application_id}/{token}/messages/{message_id}",
                self._r_wh_get,
                False,
            ),
            (
                "PATCH",
                "/webhooks/{application_id}/{token}/messages/{message_id}",
                self._r_wh_edit,
                False,
            ),
            (
                "DELETE",
                "/webhooks/{application_id}/{token}/messages/{message_id}",
                self._r_wh_delete,
                False,
            ),
        ]
        routes = []
        for method, template, handler, auth in table:
            pattern = re.compile(
                "^"
                + re.sub(
                    r"\{(\w+)\}",
                    r"(?P<\1>[^/]+)",
                    re.escape(template).replace(r"\{", "{").replace(r"\}", "}"),
                )
                + "$"
            )
            routes.append((method, pattern, template, handler, auth))
        return routes

    async def _http_handler(self, request: web.Request) -> web.StreamResponse:
        body, files = await _parse_body(request)
        path = request.path
        record = RecordedRequest(
            seq=len(self.requests) + 1,
            time=time.monotonic() - self._t0,
            method=request.method,
            path=path[len(API_PREFIX) :] if path.startswith(API_PREFIX + "/") else path,
            query=dict(request.query),
            json=body,
            files=files,
            headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
        )
        self.requests.append(record)
        file_note = f" +{len(files)} file(s)" if files else ""
        self._note("bot->fake", f"REST {request.method} {request.path_qs}{file_note}", body)

        if request.method == "GET" and path.startswith("/attachments/"):
            return self._serve_attachment(record, path)

        status: int
        result: Any
        if not path.startswith(API_PREFIX + "/"):
            status, result = 404, {"message": "404: Not Found", "code": 0}
        else:
            status, result = await self._route(request, record)
        record.status = status
        record.response = result
        self._note("fake->bot", f"REST {status}", result if status != 204 else None)
        self._changed()
        if status == 204 or result is None:
            return web.Response(status=204)
        return web.Response(
            status=status,
            body=json.dumps(result).encode(),
            headers={"Content-Type": "application/json"},
        )

    async def _route(self, request: web.Request, record: RecordedRequest) -> tuple[int, Any]:
        sub = record.path
        for method, pattern, template, handler, auth in self._routes:
            match = pattern.match(sub)
            if match is None or method != request.method:
                continue
            record.route = f"{method} {template}"
            if auth and request.headers.get("Authorization") != f"Bot {self.token}":
                return 401, {"message": "401: Unauthorized", "code": 0}
            try:
                return await handler(_Request(request, record), **match.groupdict())
            except ApiError as err:
                log.info("fake Discord answers %s to %s %s", err, record.method, record.path)
                return err.status, err.body()
        log.warning("fake Discord: unknown route %s %s", request.method, sub)
        return 404, {
            "message": f"404: Not Found (the fake does not implement {request.method} {sub})",
            "code": 0,
        }

    def _serve_attachment(self, record: RecordedRequest, path: str) -> web.StreamResponse:
        record.route = "GET /attachments/{attachment_id}/{filename}"
        parts = path.split("/")
        att = None
        if len(parts) >= 3 and parts[2].isdigit():
            att = self.attachments.get(int(parts[2]))
        if att is None:
            record.status = 404
            self._changed()
            return web.Response(status=404, text="Not Found")
        record.status = 200
        self._note("fake->bot", f"ATTACHMENT 200 {att.filename} ({len(att.data)} bytes)")
        self._changed()
        return web.Response(
            status=200,
            body=att.data,
            headers={"Content-Type": att.content_type or "application/octet-stream"},
        )

    async def _gateway_handler(self, request: web.Request) -> web.StreamResponse:
        query = dict(request.query)
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        compress = query.get("compress")
        conn = GatewayConnection(self, ws, compress)
        self._connections.add(conn)
        self._note("bot->fake", f"GATEWAY connect {request.path_qs}")
        try:
            if query.get("v") not in (None, "10"):
                await conn.close(4012, "Invalid API version.")
            elif query.get("encoding", "json") != "json":
                await conn.close(4002, "Error while decoding payload (the fake speaks JSON only).")
            else:
                await conn.serve()
        finally:
            self._connections.discard(conn)
        return ws

    # =======================================================================================
    # REST handlers
    # =======================================================================================
    async def _r_gateway(self, req: _Request) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _r_gateway_bot(self, req: _Request) -> tuple[int, Any]:
        return 200, {
            "url": self.gateway_url,
            "shards": self.shard_count,
            "session_start_limit": {
                "total": 1000,
                "remaining": 1000 - len(self.identifies),
                "reset_after": 14_400_000,
                "max_concurrency": 1,
            },
        }

    async def _r_me(self, req: _Request) -> tuple[int, Any]:
        return 200, self.bot_user.to_payload() | {
            "verified": True,
            "mfa_enabled": False,
            "email": None,
            "locale": "en-US",
        }

    async def _r_user(self, req: _Request, user_id: str) -> tuple[int, Any]:
        user = self.users.get(int(user_id)) if user_id.isdigit() else None
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return 200, user.to_payload()

    async def _r_app(self, req: _Request) -> tuple[int, Any]:
        return 200, {
            "id": str(self.application_id),
            "name": self.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": self.bot_user.to_payload(),
            "owner": self.owner.to_payload(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "hook": True,
            "is_monetized": False,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "tags": [],
            "approximate_guild_count": len(self.guilds),
            "integration_types_config": {"0": {}},
        }

    # ---- application commands ------------------------------------------------------------
    def _command_pool(self, application_id: str, guild_id: str | None) -> list[dict[str, Any]]:
        if application_id != str(self.application_id):
            raise ApiError(403, 50001, "Missing Access")
        if guild_id is None:
            return self.global_commands
        if not guild_id.isdigit() or int(guild_id) not in self.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return self.guild_commands.setdefault(int(guild_id), [])

    def _stored_command(
        self, cmd: dict[str, Any], guild_id: str | None, old: dict[str, Any] | None
    ) -> dict[str, Any]:
        stored = copy.deepcopy(cmd)
        stored["id"] = old["id"] if old else str(snowflake())
        stored["application_id"] = str(self.application_id)
        stored["version"] = str(snowflake())
        stored["type"] = int(cmd.get("type", 1))
        stored.setdefault("description", "")
        stored.setdefault("options", [])
        perms = stored.get("default_member_permissions")
        stored["default_member_permissions"] = None if perms is None else str(int(perms))
        stored.setdefault("nsfw", False)
        if guild_id is not None:
            stored["guild_id"] = guild_id
            stored.pop("dm_permission", None)
        else:
            stored.setdefault("dm_permission", True)
            stored.setdefault("integration_types", [0])
            stored.setdefault("contexts", None)
        return stored

    async def _r_list_cmds(
        self, req: _Request, application_id: str, guild_id: str | None = None
    ) -> tuple[int, Any]:
        return 200, self._command_pool(application_id, guild_id)

    async def _r_put_cmds(
        self, req: _Request, application_id: str, guild_id: str | None = None
    ) -> tuple[int, Any]:
        pool = self._command_pool(application_id, guild_id)
        check_commands(req.json)
        old = {(int(c.get("type", 1)), c["name"]): c for c in pool}
        new = [
            self._stored_command(c, guild_id, old.get((int(c.get("type", 1)), c["name"])))
            for c in req.json
        ]
        pool[:] = new
        where = f"guild {guild_id}" if guild_id else "global"
        self._note("fake", f"{len(new)} {where} command(s) registered: {[c['name'] for c in new]}")
        return 200, new

    async def _r_post_cmd(
        self, req: _Request, application_id: str, guild_id: str | None = None
    ) -> tuple[int, Any]:
        pool = self._command_pool(application_id, guild_id)
        if not isinstance(req.json, dict):
            raise ApiError(400, 50035, "Invalid Form Body")
        check_command(req.json)
        key = (int(req.json.get("type", 1)), req.json.get("name"))
        for i, cmd in enumerate(pool):
            if (int(cmd.get("type", 1)), cmd["name"]) == key:
                pool[i] = self._stored_command(req.json, guild_id, cmd)
                return 200, pool[i]
        stored = self._stored_command(req.json, guild_id, None)
        pool.append(stored)
        return 201, stored

    def _find_cmd(self, pool: list[dict[str, Any]], command_id: str) -> int:
        for i, cmd in enumerate(pool):
            if cmd["id"] == command_id:
                return i
        raise ApiError(404, 10063, "Unknown application command")

    async def _r_get_cmd(
        self, req: _Request, application_id: str, command_id: str, guild_id: str | None = None
    ) -> tuple[int, Any]:
        pool = self._command_pool(application_id, guild_id)
        return 200, pool[self._find_cmd(pool, command_id)]

    async def _r_patch_cmd(
        self, req: _Request, application_id: str, command_id: str, guild_id: str | None = None
    ) -> tuple[int, Any]:
        pool = self._command_pool(application_id, guild_id)
        i = self._find_cmd(pool, command_id)
        merged = {**pool[i], **(req.json or {})}
        check_command(merged)
        pool[i] = self._stored_command(merged, guild_id, pool[i])
        return 200, pool[i]

    async def _r_del_cmd(
        self, req: _Request, application_id: str, command_id: str, guild_id: str | None = None
    ) -> tuple[int, Any]:
        pool = self._command_pool(application_id, guild_id)
        del pool[self._find_cmd(pool, command_id)]
        return 204, None

    # ---- guilds and channels ---------------------------------------------------------------
    def _guild(self, guild_id: str) -> FakeGuild:
        guild = self.guilds.get(int(guild_id)) if guild_id.isdigit() else None
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    def _channel(self, channel_id: str) -> tuple[FakeGuild, FakeChannel]:
        if channel_id.isdigit():
            for guild in self.guilds.values():
                channel = guild.get_channel(int(channel_id))
                if channel is not None:
                    return guild, channel
        raise ApiError(404, 10003, "Unknown Channel")

    def _need(self, guild: FakeGuild, perms: int) -> None:
        if guild.permissions_of(self.bot_user.id) & perms != perms:
            raise ApiError(403, 50013, "Missing Permissions")

    async def _r_guild(self, req: _Request, guild_id: str) -> tuple[int, Any]:
        payload = self._guild(guild_id).to_create_payload()
        for key in (
            "channels",
            "members",
            "threads",
            "presences",
            "voice_states",
            "joined_at",
            "member_count",
            "large",
            "unavailable",
            "lazy",
        ):
            payload.pop(key, None)
        if req.flag("with_counts"):
            guild = self._guild(guild_id)
            payload["approximate_member_count"] = len(guild.members)
            payload["approximate_presence_count"] = 0
        return 200, payload

    async def _r_guild_channels(self, req: _Request, guild_id: str) -> tuple[int, Any]:
        return 200, [c.to_payload() for c in self._guild(guild_id).channels]

    async def _r_member(self, req: _Request, guild_id: str, user_id: str) -> tuple[int, Any]:
        guild = self._guild(guild_id)
        member = guild.members.get(int(user_id)) if user_id.isdigit() else None
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return 200, member.to_payload()

    async def _r_channel(self, req: _Request, channel_id: str) -> tuple[int, Any]:
        _, channel = self._channel(channel_id)
        return 200, channel.to_payload()

    async def _r_typing(self, req: _Request, channel_id: str) -> tuple[int, Any]:
        guild, channel = self._channel(channel_id)
        self._need(guild, Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES)
        self.typing.append((time.monotonic(), channel.id))
        return 204, None

    def _channel_message(self, channel: FakeChannel, message_id: str) -> StoredMessage:
        msg = self.message(int(message_id)) if message_id.isdigit() else None
        if msg is None or msg.deleted or msg.channel_id != channel.id or msg.ephemeral:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    async def _r_history(self, req: _Request, channel_id: str) -> tuple[int, Any]:
        guild, channel = self._channel(channel_id)
        self._need(guild, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
        limit = max(1, min(100, int(req.query.get("limit", 50))))
        msgs = [m for m in self.messages_in(channel) if not m.ephemeral]
        if "before" in req.query:
            msgs = [m for m in msgs if m.id < int(req.query["before"])]
        if "after" in req.query:
            msgs = [m for m in msgs if m.id > int(req.query["after"])]
            return 200, [m.snapshot() for m in msgs[:limit]][::-1]
        return 200, [m.snapshot() for m in msgs[::-1][:limit]]

    async def _r_create_msg(self, req: _Request, channel_id: str) -> tuple[int, Any]:
        guild, channel = self._channel(channel_id)
        self._need(guild, Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES)
        body = req.json if isinstance(req.json, dict) else {}
        check_message(body, n_files=len(req.files), is_edit=False)
        if req.files:
            self._need(guild, Perm.ATTACH_FILES)
        reply_to = None
        ref = body.get("message_reference")
        if ref:
            self._need(guild, Perm.READ_MESSAGE_HISTORY)
            target = self.message(int(ref.get("message_id", 0)))
            if (
                target is None
                or target.deleted
                or target.channel_id != int(ref.get("channel_id") or channel.id)
            ):
                if ref.get("fail_if_not_exists", True):
                    raise ApiError(
                        400,
                        50035,
                        "Invalid Form Body",
                        {
                            "message_reference": {
                                "_errors": [
                                    {
                                        "code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                        "message": "Unknown message",
                                    }
                                ]
                            }
                        },
                    )
            else:
                reply_to = target
        msg = self._new_message(
            channel_id=channel.id,
            guild=guild,
            body=body,
            files=req.files,
            msg_type=19 if reply_to else 0,
            reply_to=reply_to,
        )
        await self._echo("MESSAGE_CREATE", msg)
        return 200, msg.snapshot()

    async def _r_get_msg(self, req: _Request, channel_id: str, message_id: str) -> tuple[int, Any]:
        guild, channel = self._channel(channel_id)
        self._need(guild, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
        return 200, self._channel_message(channel, message_id).snapshot()

    async def _r_edit_msg(self, req: _Request, channel_id: str, message_id: str) -> tuple[int, Any]:
        _, channel = self._channel(channel_id)
        msg = self._channel_message(channel, message_id)
        if msg.author_id != self.bot_user.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        body = req.json if isinstance(req.json, dict) else {}
        check_message(body, n_files=len(req.files), is_edit=True)
        self._edit_message(msg, body, req.files)
        await self._echo("MESSAGE_UPDATE", msg)
        return 200, msg.snapshot()

    async def _r_delete_msg(
        self, req: _Request, channel_id: str, message_id: str
    ) -> tuple[int, Any]:
        guild, channel = self._channel(channel_id)
        msg = self._channel_message(channel, message_id)
        if msg.author_id != self.bot_user.id:
            self._need(guild, Perm.MANAGE_MESSAGES)
        msg.deleted = True
        await self._echo("MESSAGE_DELETE", msg)
        return 204, None

    async def _r_react(
        self, req: _Request, channel_id: str, message_id: str, emoji: str
    ) -> tuple[int, Any]:
        guild, channel = self._channel(channel_id)
        self._channel_message(channel, message_id)
        self._need(guild, Perm.READ_MESSAGE_HISTORY | Perm.ADD_REACTIONS)
        return 204, None

    # ---- interactions ------------------------------------------------------------------------
    async def _r_callback(self, req: _Request, interaction_id: str, token: str) -> tuple[int, Any]:
        handle = self._by_token.get(token)
        if handle is None or str(handle.id) != interaction_id:
            raise ApiError(404, 10062, "Unknown interaction")
        body = req.json if isinstance(req.json, dict) else {}
        try:
            status, result = await self._callback(handle, req, body)
        except ApiError as err:
            handle.errors.append({"request": req.record.summary(), **err.body()})
            handle.events.append(
                InteractionEvent(time.monotonic(), "error", None, body, err.status)
            )
            raise
        return status, result

    async def _callback(
        self, handle: InteractionHandle, req: _Request, body: dict[str, Any]
    ) -> tuple[int, Any]:
        elapsed = time.monotonic() - handle.created_at
        if self.interaction_ack_timeout is not None and elapsed > self.interaction_ack_timeout:
            log.warning(
                "interaction %s answered after %.2fs (> %.1fs): Discord says Unknown interaction",
                handle.label,
                elapsed,
                self.interaction_ack_timeout,
            )
            raise ApiError(404, 10062, "Unknown interaction")
        if handle.acknowledged:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        ctype = body.get("type")
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        allowed = {
            2: (4, 5, 9),
            3: (4, 5, 6, 7, 9),
            4: (8,),
            5: (4, 5, 6, 7) if handle.source_message_id else (4, 5),
        }[handle.type]
        if ctype not in allowed:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                "message": f"callback type {ctype} "
                                f"({CALLBACK_TYPE_NAMES.get(ctype or 0, '?')}) is not valid for "
                                f"interaction type {handle.type}",
                            }
                        ]
                    }
                },
            )
        message: StoredMessage | None = None
        if ctype == 4:
            check_message(data, n_files=len(req.files), is_edit=False)
        elif ctype == 7:
            check_message(data, n_files=len(req.files), is_edit=True)
        elif ctype == 8:
            choices = data.get("choices")
            if not isinstance(choices, list) or len(choices) > 25:
                raise ApiError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {
                        "data": {
                            "choices": {
                                "_errors": [
                                    {
                                        "code": "BASE_TYPE_MAX_LENGTH",
                                        "message": "Must be 25 or fewer in length.",
                                    }
                                ]
                            }
                        }
                    },
                )
        elif ctype == 9 and not (
            data.get("custom_id") and data.get("title") and data.get("components")
        ):
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "data": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_REQUIRED",
                                "message": "custom_id, title, components",
                            }
                        ]
                    }
                },
            )

        handle.callback = body
        handle.callback_type = ctype
        msg_type = 20 if handle.type == 2 else 0
        if ctype == 4:
            message = self._new_message(
                channel_id=handle.channel_id,
                guild=handle.guild,
                body=data,
                files=req.files,
                msg_type=msg_type,
                handle=handle,
            )
            handle.original_id = message.id
        elif ctype == 5:
            flags = MessageFlag.LOADING | (int(data.get("flags") or 0) & MessageFlag.EPHEMERAL)
            message = self._new_message(
                channel_id=handle.channel_id,
                guild=handle.guild,
                body={},
                files=[],
                msg_type=msg_type,
                handle=handle,
                extra_flags=flags,
            )
            handle.original_id = message.id
        elif ctype in (6, 7):
            handle.original_id = handle.source_message_id
            if ctype == 7:
                source = self.message(handle.source_message_id)
                if source is None or source.deleted:
                    raise ApiError(404, 10008, "Unknown Message")
                message = self._edit_message(source, data, req.files)
        elif ctype == 8:
            handle.autocomplete_choices = list(data.get("choices") or [])
        elif ctype == 9:
            handle.modal = data
        handle.events.append(
            InteractionEvent(
                time.monotonic(),
                "callback",
                message.id if message else None,
                body,
                200,
                message.snapshot() if message else None,
            )
        )
        self._changed()
        if message is not None:
            await self._echo("MESSAGE_CREATE" if ctype in (4, 5) else "MESSAGE_UPDATE", message)
        if not req.flag("with_response"):
            return 204, None
        result: dict[str, Any] = {
            "interaction": {
                "id": str(handle.id),
                "type": handle.type,
                "response_message_loading": ctype == 5,
                "response_message_ephemeral": bool(message and message.ephemeral),
            }
        }
        if message is not None:
            result["interaction"]["response_message_id"] = str(message.id)
        if ctype in (4, 5, 7) and message is not None:
            result["resource"] = {"type": ctype, "message": message.snapshot()}
        elif ctype in (6, 9):
            result["resource"] = {"type": ctype}
        return 200, result

    def _webhook_handle(self, application_id: str, token: str) -> InteractionHandle:
        handle = self._by_token.get(token)
        if handle is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        if application_id != str(self.application_id):
            raise ApiError(401, 50027, "Invalid Webhook Token")
        if not handle.acknowledged:
            raise ApiError(404, 10015, "Unknown Webhook")
        return handle

    def _webhook_message(self, handle: InteractionHandle, message_id: str) -> StoredMessage:
        if message_id == "@original":
            msg = handle.original
        elif message_id.isdigit() and (
            int(message_id) == handle.original_id or int(message_id) in handle.followup_ids
        ):
            msg = self.message(int(message_id))
        else:
            msg = None
        if msg is None or msg.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    async def _interaction_op(
        self,
        handle: InteractionHandle,
        req: _Request,
        kind: str,
        op: Callable[[], Awaitable[tuple[int, Any, StoredMessage | None]]],
    ) -> tuple[int, Any]:
        """Run a webhook operation and log it (or its error) on the interaction handle."""
        try:
            status, result, msg = await op()
        except ApiError as err:
            handle.errors.append({"request": req.record.summary(), **err.body()})
            handle.events.append(
                InteractionEvent(time.monotonic(), "error", None, req.json, err.status)
            )
            self._changed()
            raise
        snapshot = msg.snapshot() if msg is not None and kind != "get" else None
        handle.events.append(
            InteractionEvent(
                time.monotonic(), kind, msg.id if msg else None, req.json, status, snapshot
            )
        )
        self._changed()
        return status, result

    async def _r_followup(self, req: _Request, application_id: str, token: str) -> tuple[int, Any]:
        handle = self._webhook_handle(application_id, token)
        body = req.json if isinstance(req.json, dict) else {}

        async def op() -> tuple[int, Any, StoredMessage | None]:
            check_message(body, n_files=len(req.files), is_edit=False)
            original = handle.original
            if (
                handle.callback_type == 5
                and original is not None
                and original.loading
                and not original.deleted
                and not handle.loading_replaced
            ):
                # Discord: the first followup after a "thinking" defer replaces the
                # placeholder, keeping the defer's ephemerality. Once the placeholder was
                # deleted, a followup is a new message with its own flags.
                handle.loading_replaced = True
                msg = self._edit_message(original, {**body, "flags": None}, req.files)
                await self._echo("MESSAGE_UPDATE", msg)
            else:
                msg = self._new_message(
                    channel_id=handle.channel_id,
                    guild=handle.guild,
                    body=body,
                    files=req.files,
                    msg_type=20 if handle.type == 2 else 0,
                    handle=handle,
                )
                handle.followup_ids.append(msg.id)
                await self._echo("MESSAGE_CREATE", msg)
            if req.flag("wait"):
                return 200, msg.snapshot(), msg
            return 204, None, msg

        return await self._interaction_op(handle, req, "followup", op)

    async def _r_wh_get(
        self, req: _Request, application_id: str, token: str, message_id: str
    ) -> tuple[int, Any]:
        handle = self._webhook_handle(application_id, token)

        async def op() -> tuple[int, Any, StoredMessage | None]:
            msg = self._webhook_message(handle, message_id)
            return 200, msg.snapshot(), msg

        return await self._interaction_op(handle, req, "get", op)

    async def _r_wh_edit(
        self, req: _Request, application_id: str, token: str, message_id: str
    ) -> tuple[int, Any]:
        handle = self._webhook_handle(application_id, token)
        body = req.json if isinstance(req.json, dict) else {}

        async def op() -> tuple[int, Any, StoredMessage | None]:
            msg = self._webhook_message(handle, message_id)
            check_message(body, n_files=len(req.files), is_edit=True)
            self._edit_message(msg, body, req.files)
            await self._echo("MESSAGE_UPDATE", msg)
            return 200, msg.snapshot(), msg

        kind = "edit_original" if message_id == "@original" else "edit"
        return await self._interaction_op(handle, req, kind, op)

    async def _r_wh_delete(
        self, req: _Request, application_id: str, token: str, message_id: str
    ) -> tuple[int, Any]:
        handle = self._webhook_handle(application_id, token)

        async def op() -> tuple[int, Any, StoredMessage | None]:
            msg = self._webhook_message(handle, message_id)
            msg.deleted = True
            await self._echo("MESSAGE_DELETE", msg)
            return 204, None, msg

        return await self._interaction_op(handle, req, "delete", op)


async def _parse_body(request: web.Request) -> tuple[Any, list[RecordedFile]]:
    """JSON or multipart/form-data (payload_json + files[n]) into (json, files)."""
    files: list[RecordedFile] = []
    if not request.body_exists:
        return None, files
    if request.content_type.startswith("multipart/"):
        body: Any = None
        reader = await request.multipart()
        async for part in reader:
            data = bytes(await part.read(decode=False))  # type: ignore[union-attr]
            name = part.name or ""  # type: ignore[union-attr]
            if name == "payload_json":
                body = json.loads(data.decode() or "null")
            else:
                files.append(
                    RecordedFile(
                        field=name,
                        filename=part.filename,  # type: ignore[union-attr]
                        content_type=part.headers.get("Content-Type"),
                        data=data,
                    )
                )
        return body, files
    raw = await request.read()
    if not raw:
        return None, files
    try:
        return json.loads(raw), files
    except ValueError:
        return raw.decode(errors="replace"), files


def _normalize_embed(embed: dict[str, Any]) -> dict[str, Any]:
    """Discord fills in type=rich and drops empty keys."""
    out = {k: copy.deepcopy(v) for k, v in embed.items() if v is not None}
    out.setdefault("type", "rich")
    return out


def _guess_type(filename: str) -> str | None:
    import mimetypes

    return mimetypes.guess_type(filename)[0]
