"""A real Janus WebRTC Server for the SFU tests, started from deploy/janus (what production runs) with a free
port, fresh secrets and a folder of its own. Needs Debian's ``janus``; .ci/run installs it."""
import glob
import re
import secrets
import shutil
import subprocess
import time

from tests.conftest import ROOT, free_port, port_open, stop_process

DEPLOY = ROOT / "deploy" / "janus"


def janus_binary():
    return shutil.which("janus")


def _lib_folder(kind):
    """Debian puts the plugins under the machine's multiarch folder (x86_64-linux-gnu, aarch64-linux-gnu...)."""
    found = glob.glob(f"/usr/lib/*/janus/{kind}")
    return found[0] if found else f"/usr/lib/x86_64-linux-gnu/janus/{kind}"


class JanusServer:
    def __init__(self, tmp_path):
        self.folder = tmp_path / "janus"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}"
        self.token_secret = secrets.token_hex(16)
        self.admin_key = secrets.token_hex(16)
        self.log_path = self.folder / "janus.log"
        self.proc = None

    def _write_config(self):
        for source in DEPLOY.glob("*.jcfg"):
            text = source.read_text()
            text = text.replace('"/etc/janus/chidao"', f'"{self.folder}"')
            text = text.replace("CHANGE-ME-same-as-MEDIA_SFU_TOKEN_SECRET", self.token_secret)
            text = text.replace("CHANGE-ME-same-as-MEDIA_SFU_ADMIN_KEY", self.admin_key)
            text = re.sub(r"ws_port = \d+", f"ws_port = {self.port}", text)
            for kind in ("plugins", "transports", "events", "loggers"):
                text = re.sub(rf'{kind}_folder = "[^"]*"', f'{kind}_folder = "{_lib_folder(kind)}"', text)
            (self.folder / source.name).write_text(text)

    def start(self, timeout=20):
        self._write_config()
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [janus_binary(), "-C", str(self.folder / "janus.jcfg"), "-F", str(self.folder), "-o"],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"janus exited early:\n{self.log_path.read_text()[-3000:]}")
            if port_open("127.0.0.1", self.port):
                return self
            time.sleep(0.1)
        raise RuntimeError(f"janus did not start:\n{self.log_path.read_text()[-3000:]}")

    def stop(self):
        stop_process(self.proc)

    def app_config(self):
        """The app's settings for this Janus (as config overrides or, as strings, a server's environment)."""
        return {"MEDIA_SFU_URL": [self.url], "MEDIA_SFU_TOKEN_SECRET": self.token_secret,
                "MEDIA_SFU_ADMIN_KEY": self.admin_key}

    def env(self):
        return {"MEDIA_SFU_URL": self.url, "MEDIA_SFU_TOKEN_SECRET": self.token_secret,
                "MEDIA_SFU_ADMIN_KEY": self.admin_key}
