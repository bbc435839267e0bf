"""Running the ``articlebot`` command in a subprocess on a temporary home (shared by CLI tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(home: Path, *args: str, stdin: str | None = None, env: dict | None = None):
    full_env = {
        **os.environ,
        "ARTICLEBOT_HOME": str(home),
        "HF_HUB_OFFLINE": "1",
        "ARTICLEBOT_ALLOW_PRIVATE_URLS": "1",
        **(env or {}),
    }
    full_env.pop("DISCORD_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=home.parent,
        timeout=300,
    )
