import os, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def run_cli(*args, cwd=None, timeout=300):
    "Run the installed `sage-nb` console script; return the CompletedProcess."
    exe = shutil.which("sage-nb", path=str(BIN)) or "sage-nb"
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout)
