"""What ``systemctl restart chidao@<port>`` does, for the upgrade test (no systemd there): stop the process
on that port (SIGTERM, then wait), start ``current/.venv/bin/python wsgi.py`` in ``current`` with the env
file and PORT, detached, its pid in <state>/<port>.pid. Standard library only: upgrade.sh runs it.

    python tests/deploy_restart.py restart PORT STATE_DIR CHIDAO_HOME ENV_FILE
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def read_env(path):
    env = {}
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip().strip('"')
    return env


def alive(pid):
    """Running (a zombie, exited but not yet reaped by its parent, is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def stop(port, state):
    pid_file = Path(state) / f"{port}.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + 20  # TimeoutStopSec
    while time.time() < deadline:
        if not alive(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def start(port, state, home, env_file):
    current = (Path(home) / "current").resolve()  # as systemd's WorkingDirectory and the unit's readlink do
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "CHIDAO_"))}
    env.update(read_env(env_file))
    env.update(PORT=str(port), HOST="127.0.0.1")
    with open(Path(state) / f"{port}.log", "a") as log:
        proc = subprocess.Popen([str((current / ".venv").resolve() / "bin" / "python"), "wsgi.py"], cwd=str(current),
                                env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    (Path(state) / f"{port}.pid").write_text(str(proc.pid))
    return proc


if __name__ == "__main__":
    command, port, state, home, env_file = sys.argv[1:6]
    if command != "restart":
        raise SystemExit(__doc__)
    stop(port, state)
    start(port, state, home, env_file)
