"""The production recipe under test: deploy/nginx-chidao.conf run by Debian's nginx in front of app
processes, with a throwaway TLS certificate, and the app processes started as systemd would start them."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import FAST_HASH, ROOT, free_port, need, stop_process

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE = ROOT / "deploy" / "nginx-chidao.conf"
UPSTREAM = ROOT / "deploy" / "nginx-chidao-upstream.conf"
HOST = "chidao.example.gov.vn"


def need_nginx():
    need(os.path.exists(NGINX), "nginx (Debian package nginx)")
    need(shutil.which("openssl"), "openssl")


def self_signed_cert(folder):
    folder.mkdir(parents=True, exist_ok=True)
    key, cert = folder / "privkey.pem", folder / "fullchain.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class Nginx:
    """The recipe's site and upstream files, as written, with only the machine's paths and ports changed.
    ``X-Test-Upstream`` (added here, not in the recipe) says which process answered."""

    def __init__(self, tmp_path, app_ports, code_dir=ROOT, releases_dir=None):
        self.dir = tmp_path / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "acme", "ssl"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.port, self.http_port = free_port(), free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        cert, key = self_signed_cert(self.dir / "ssl")
        site = SITE.read_text()
        replacements = [
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.port} ssl http2;\n"
                                      "    add_header X-Test-Upstream $upstream_addr always;"),
            ("listen 80;", f"listen 127.0.0.1:{self.http_port};"),
            ("/etc/ssl/chidao/fullchain.pem", str(cert)),
            ("/etc/ssl/chidao/privkey.pem", str(key)),
            ("/var/log/nginx/chidao.access.log", str(self.dir / "access.log")),
            ("/srv/chidao/current/", f"{code_dir}/"),
            ("/srv/chidao/releases/", f"{releases_dir or self.dir / 'releases'}/"),
            ("/var/www/letsencrypt", str(self.dir / "acme")),
        ]
        for old, new in replacements:
            assert old in site, f"the recipe no longer has {old!r}: update tests/deploy_support.py"
            site = site.replace(old, new)
        upstream = UPSTREAM.read_text()
        servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=0;" for p in app_ports)
        upstream, count = re.subn(r"(    server 127\.0\.0\.1:\d+ max_fails=0;\n)+", servers + "\n", upstream)
        assert count == 1, "the recipe's upstream block changed: update tests/deploy_support.py"
        (self.dir / "site.conf").write_text(site)
        (self.dir / "upstream.conf").write_text(upstream)
        d = self.dir
        (self.dir / "nginx.conf").write_text(f"""
user root;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {d}/upstream.conf;
    include {d}/site.conf;
}}
""")
        self.proc = None

    def check(self):
        """``nginx -t`` on the rendered files: the recipe parses."""
        res = subprocess.run([NGINX, "-t", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
                              "-e", str(self.dir / "error.log")], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr

    def start(self):
        self.check()
        self.proc = subprocess.Popen([NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
                                      "-e", str(self.dir / "error.log"), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                requests.get(self.url + "/static/css/app.css", verify=False, timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError((self.dir / "error.log").read_text()[-2000:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def error_log(self):
        return (self.dir / "error.log").read_text()


def app_env(database_url, redis, channel, instance, port=None, extra=None):
    """What /etc/chidao/env holds in production (deploy/env.example), for a test deployment."""
    env = {
        "APP_ENV": "production",
        "SECRET_KEY": "5f0c1d8e9b2a4c7d6e3f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis,
        "SOCKETIO_CHANNEL": channel,
        "TRUSTED_PROXIES": "1",
        "PUBLIC_URL": f"https://{HOST}",
        "INSTANCE_PATH": str(instance),
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "SCHEDULER_ENABLED": "0",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "LOGIN_RATE_LIMIT_PER_ADDRESS": "1000 per minute",
        "ASYNC_MODE": "gevent",
        "HOST": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    }
    if port:
        env["PORT"] = str(port)
    env.update(extra or {})
    return env


def write_env_file(path, env):
    """KEY="value": the one quoting both systemd's EnvironmentFile and the shell (upgrade.sh) read alike."""
    path.write_text("".join(f'{k}="{v}"\n' for k, v in env.items()))
    path.chmod(0o640)


class AppProcess:
    """``current/.venv/bin/python wsgi.py`` started as chidao@<port>.service starts it (cwd: the release)."""

    def __init__(self, code_dir, env, log_path, python=None):
        self.code_dir, self.env, self.log_path = Path(code_dir), env, log_path
        self.python = python or sys.executable
        self.port = int(env["PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self, timeout=40):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update(self.env)
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen([self.python, "wsgi.py"], cwd=str(self.code_dir), env=env,
                                         stdout=log, stderr=subprocess.STDOUT)
        wait_http(self.url + "/healthz", self.proc, self.log_path, timeout)
        return self

    def stop(self):
        stop_process(self.proc)

    def output(self):
        return Path(self.log_path).read_text()


def wait_http(url, proc, log_path, timeout=40):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{Path(log_path).read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not start:\n{Path(log_path).read_text()[-3000:]}")
