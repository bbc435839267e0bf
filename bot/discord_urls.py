"""Point discord.py at a Discord-compatible server (``DISCORD_API_BASE``/``DISCORD_GATEWAY_URL``).

discord.py keeps its endpoints in class attributes: every REST call (webhooks and interaction
follow-ups included) is built on ``discord.http.Route.BASE``, and the gateway falls back to
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (a plain client always connects there; the
auto-sharded client asks ``GET /gateway/bot`` first, and uses the default again after an
invalidated session). :func:`apply_discord_urls` sets both before the client connects, and
:func:`pin_gateway` makes an auto-sharded client's ``/gateway/bot`` answer use the configured
gateway as well.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import discord
import yarl
from discord.gateway import DiscordWebSocket

from index.errors import BadInput

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY = "wss://gateway.discord.gg/"


def _checked(url: str, schemes: tuple[str, ...], key: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.netloc:
        raise BadInput(f"{key} must be a {' or '.join(schemes)} URL, not {url!r}.")
    return url


def apply_discord_urls(api_base: str | None, gateway_url: str | None) -> None:
    """Set discord.py's REST base and default gateway; ``None`` restores Discord's own.

    Args:
        api_base: REST base such as ``http://127.0.0.1:8080/api/v10``.
        gateway_url: gateway such as ``ws://127.0.0.1:8080/gateway``.
    """
    base = _checked(api_base, ("http", "https"), "DISCORD_API_BASE") if api_base else None
    gateway = _checked(gateway_url, ("ws", "wss"), "DISCORD_GATEWAY_URL") if gateway_url else None
    discord.http.Route.BASE = (base or DEFAULT_API_BASE).rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway or DEFAULT_GATEWAY)
    if base or gateway:
        log.info(
            "Discord endpoints: REST %s, gateway %s",
            discord.http.Route.BASE,
            gateway or "from GET /gateway/bot",
        )


def pin_gateway(http: discord.http.HTTPClient, gateway_url: str) -> None:
    """Make ``http.get_bot_gateway`` report ``gateway_url`` (keeping the shard count it returns)."""
    original = http.get_bot_gateway

    async def get_bot_gateway():
        shards, _url, session_start_limit = await original()
        return shards, gateway_url, session_start_limit

    http.get_bot_gateway = get_bot_gateway  # type: ignore[method-assign]
