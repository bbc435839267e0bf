"""The only reader of the environment and ``.env``: one frozen settings object."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from index import EngineConfig
from index.embedding import BACKENDS, DEFAULT_BACKEND, auto_bulk_backend
from index.errors import BadInput

_TRUE = {"1", "true", "yes", "on"}


def _flag(env: dict[str, str], key: str, default: bool) -> bool:
    value = env.get(key, "").strip().lower()
    return default if not value else value in _TRUE


def _number(env: dict[str, str], key: str, default: float) -> float:
    value = env.get(key, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise BadInput(f"{key} must be a number, not {value!r}.") from None
    if number < 0:
        raise BadInput(f"{key} must not be negative.")
    return number


@dataclass(frozen=True)
class Settings:
    """Every setting ArticleBot reads; ``.env.example`` documents each key."""

    home: Path
    embedding_model: str | None = None
    embedding_backend: str = DEFAULT_BACKEND
    bulk_backend: str | None = None
    model_cache: Path | None = None
    seed_samples: bool = True
    allow_private_urls: bool = False
    max_source_bytes: int = 10_000_000
    discord_token: str | None = None
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    discord_dev_guild: int | None = None
    ask_cooldown: float = 3.0
    add_cooldown: float = 10.0
    max_articles_per_guild: int = 500
    max_library_bytes: int = 50_000_000
    max_article_chars: int = 100_000
    log_level: str = "INFO"

    @classmethod
    def load(
        cls, home: str | None = None, env: dict[str, str] | None = None, dotenv: bool = True
    ) -> Settings:
        """Read settings from ``env`` (default: the process environment, after ``.env``)."""
        if env is None:
            if dotenv:
                from dotenv import load_dotenv

                load_dotenv(Path.cwd() / ".env", override=False)
            env = dict(os.environ)
        dev_guild = env.get("DISCORD_DEV_GUILD", "").strip()
        if dev_guild and not dev_guild.isdigit():
            raise BadInput(f"DISCORD_DEV_GUILD must be a guild id (digits), not {dev_guild!r}.")
        backend = (env.get("EMBEDDING_BACKEND") or "").strip().lower() or DEFAULT_BACKEND
        if backend not in BACKENDS:
            choices = ", ".join(BACKENDS)
            raise BadInput(f"EMBEDDING_BACKEND must be one of {choices}, not {backend!r}.")
        bulk = (env.get("EMBEDDING_BULK_BACKEND") or "").strip().lower() or "auto"
        if bulk == "auto":
            bulk = auto_bulk_backend(backend)
        elif bulk not in BACKENDS:
            choices = ", ".join(("auto", *BACKENDS))
            raise BadInput(f"EMBEDDING_BULK_BACKEND must be one of {choices}, not {bulk!r}.")
        model_cache = (env.get("ARTICLEBOT_MODEL_CACHE") or "").strip()
        return cls(
            home=Path(home or env.get("ARTICLEBOT_HOME") or "data").expanduser(),
            embedding_model=env.get("EMBEDDING_MODEL") or None,
            embedding_backend=backend,
            bulk_backend=bulk,
            model_cache=Path(model_cache).expanduser() if model_cache else None,
            seed_samples=_flag(env, "ARTICLEBOT_SEED_SAMPLES", True),
            allow_private_urls=_flag(env, "ARTICLEBOT_ALLOW_PRIVATE_URLS", False),
            max_source_bytes=int(_number(env, "ARTICLEBOT_MAX_SOURCE_BYTES", 10_000_000)),
            discord_token=(env.get("DISCORD_TOKEN") or "").strip() or None,
            discord_api_base=env.get("DISCORD_API_BASE") or None,
            discord_gateway_url=env.get("DISCORD_GATEWAY_URL") or None,
            discord_dev_guild=int(dev_guild) if dev_guild else None,
            ask_cooldown=_number(env, "ARTICLEBOT_ASK_COOLDOWN", 3.0),
            add_cooldown=_number(env, "ARTICLEBOT_ADD_COOLDOWN", 10.0),
            max_articles_per_guild=int(_number(env, "ARTICLEBOT_MAX_ARTICLES", 500)),
            max_library_bytes=int(_number(env, "ARTICLEBOT_MAX_LIBRARY_BYTES", 50_000_000)),
            max_article_chars=int(_number(env, "ARTICLEBOT_MAX_ARTICLE_CHARS", 100_000)),
            log_level=(env.get("ARTICLEBOT_LOG_LEVEL") or "INFO").upper(),
        )

    def engine_config(self) -> EngineConfig:
        return EngineConfig(
            home=self.home,
            embedding_model=self.embedding_model,
            embedding_backend=self.embedding_backend,
            bulk_backend=self.bulk_backend,
            model_cache=self.model_cache or self.home / "models",
            seed_samples=self.seed_samples,
            allow_private_urls=self.allow_private_urls,
            max_source_bytes=self.max_source_bytes,
            max_article_chars=self.max_article_chars,
        )

    def __repr__(self) -> str:  # never print the token
        shown = "set" if self.discord_token else "unset"
        return f"Settings(home={str(self.home)!r}, token={shown})"
