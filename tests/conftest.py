"""Shared fixtures: one real embedding model per test session, engines on temporary homes."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# One ONNX export of the model per test session, shared by this process and every CLI
# subprocess (which inherit the variable), instead of one per temporary ARTICLEBOT_HOME.
_OWN_MODEL_CACHE = "ARTICLEBOT_MODEL_CACHE" not in os.environ
MODEL_CACHE = Path(
    os.environ.setdefault(
        "ARTICLEBOT_MODEL_CACHE", tempfile.mkdtemp(prefix="articlebot-test-models-")
    )
)


def pytest_unconfigure(config):
    if _OWN_MODEL_CACHE:
        shutil.rmtree(MODEL_CACHE, ignore_errors=True)

REPO = Path(__file__).resolve().parent.parent
SAMPLE_TEXT = REPO / "index" / "data" / "samples.jsonl"


@pytest.fixture(scope="session")
def encoder():
    """The real bundled model, loaded once for every test that needs it."""
    from index.embedding import Encoder

    enc = Encoder(cache_dir=MODEL_CACHE)
    enc.warm_up()
    return enc


@pytest.fixture
def make_engine(tmp_path, encoder):
    """Build engines on a temporary home that share the session's model."""
    from index import Engine, EngineConfig

    engines = []

    def build(home: Path | None = None, seed: bool = False, **config):
        engine = Engine(
            EngineConfig(home=home or tmp_path / "home", seed_samples=seed, **config),
            encoder=encoder,
        )
        engines.append(engine)
        return engine

    yield build
    for engine in engines:
        engine.close()


@pytest.fixture
async def start_world(encoder, tmp_path):
    """``await start_world(**env)`` runs a loopback Discord world (tests/discord_world.py); it is
    stopped, and its wire rules checked, after the test."""
    import contextlib

    from discord_world import world_running

    async with contextlib.AsyncExitStack() as stack:
        count = 0

        async def start(**kwargs):
            nonlocal count
            count += 1
            return await stack.enter_async_context(
                world_running(encoder, tmp_path / f"home{count}", **kwargs)
            )

        yield start


@pytest.fixture
async def world(start_world):
    """One running world with the default settings."""
    return await start_world()
