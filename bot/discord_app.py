"""``articlebot run``: build the engine once, then run the Discord bot until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import aiohttp
import discord

from index import Engine

from .discord_urls import apply_discord_urls
from .settings import Settings

log = logging.getLogger(__name__)

NO_TOKEN = (
    "articlebot: DISCORD_TOKEN is not set; put your bot's token in .env or the "
    "environment (see .env.example)."
)
BAD_TOKEN = (
    "articlebot: Discord rejected DISCORD_TOKEN; copy the bot token again from the "
    "developer portal (Bot -> Reset Token)."
)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def _configure_logging(level: str) -> None:
    logging.getLogger().setLevel(level)
    # discord.py's gateway chatter is useful at DEBUG only.
    logging.getLogger("discord").setLevel(max(logging.getLogger().level, logging.INFO))


async def _serve(bot: discord.Client, token: str) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
    async with bot:
        await bot.start(token)


def run_bot(settings: Settings) -> int:
    """Run the bot with ``settings``; returns the process exit status.

    A missing or rejected token, or an unreachable Discord, is one line on stderr and status 2.
    """
    from .discord_bot import ArticleBot

    token = settings.discord_token
    if not token:
        return _fail(NO_TOKEN)
    try:
        _configure_logging(settings.log_level)
    except ValueError:
        return _fail(
            f"articlebot: ARTICLEBOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, "
            f"not {settings.log_level!r}."
        )
    apply_discord_urls(settings.discord_api_base, settings.discord_gateway_url)  # fail early
    engine = Engine(settings.engine_config())  # the model itself is loaded in setup_hook
    bot = ArticleBot(engine, settings)
    try:
        asyncio.run(_serve(bot, token))
    except discord.LoginFailure:
        return _fail(BAD_TOKEN)
    except discord.PrivilegedIntentsRequired:  # not expected: the bot asks for none
        return _fail("articlebot: Discord refused the gateway intents the bot asked for.")
    except (aiohttp.ClientConnectionError, discord.GatewayNotFound) as err:
        where = settings.discord_api_base or "discord.com"
        return _fail(f"articlebot: cannot reach Discord at {where} ({type(err).__name__}).")
    except discord.HTTPException as err:
        return _fail(
            f"articlebot: Discord answered HTTP {err.status} ({err.text or 'no detail'})"
            "; the bot stopped."
        )
    except KeyboardInterrupt:
        pass
    finally:
        engine.close()
    return 0
