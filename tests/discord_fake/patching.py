"""Point an unmodified discord.py at a Discord-compatible server (the fake, in tests).

discord.py 2.7 reads exactly two hard-coded locations:

* `discord.http.Route.BASE` - every REST call, *including* interaction callbacks, followups
  and @original edits: the webhook adapter (`discord/webhook/async_.py`) builds its URLs
  with the same `Route` class, so one attribute covers both.
* `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY` - the gateway a plain `Client`
  connects to (it never asks `/gateway/bot`), and the one any client falls back to after an
  INVALID_SESSION. An `AutoShardedClient` takes the URL from `GET /gateway/bot` on start.

`Webhook.url`, `Message.jump_url` and `Asset.BASE` (CDN) still name discord.com; they are
display strings and are never fetched by the client, so they need no patch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


def patch_discord_urls(api_base: str | None, gateway_url: str | None) -> Callable[[], None]:
    """Set discord.py's REST base and default gateway; returns a function that undoes it.

    Args:
        api_base: e.g. "http://127.0.0.1:PORT/api/v10"; None leaves REST alone.
        gateway_url: e.g. "ws://127.0.0.1:PORT/gateway"; None leaves the gateway alone.

    Returns:
        A no-argument callable restoring the previous values (for test teardown).
    """
    import discord.gateway
    import discord.http
    import yarl

    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    if api_base is not None:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url is not None:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    log.debug("discord.py pointed at REST %s, gateway %s", api_base, gateway_url)

    def restore() -> None:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    return restore
