"""The production shape on loopback: nginx (with deploy/nginx/*.conf) in front of app instances
under gunicorn (deploy/gunicorn.conf.py). Used by the proxy load test and tests/test_deploy.py.

Everything listens on 127.0.0.1 ports picked at start; nothing is left behind on exit.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess  # nosec B404: starts our own nginx and gunicorn on loopback
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port} within {seconds:.0f} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_instance(env: dict[str, str], target: str = "app:app", workers: int = 2,
                   threads: int = 32) -> tuple[subprocess.Popen, int]:
    """One gunicorn instance with the deployment's settings; (process, port)."""
    port = free_port()
    environment = {**os.environ, "WEB_CONCURRENCY": str(workers),
                   "GUNICORN_THREADS": str(threads), "LOG_LEVEL": "warning", **env}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)     # each instance makes its own
    command = [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"),
               "-b", f"127.0.0.1:{port}", target]
    process = subprocess.Popen(command, cwd=ROOT, env=environment)  # nosec B603
    wait_for_port(port, process, f"gunicorn {target}")
    return process, port


def nginx_config(folder: Path, sites: dict[int, list[int]]) -> str:
    """A whole nginx.conf: one server per listening port, proxying to its instances' ports,
    with the deployment's own http and server snippets."""
    upstreams, servers = [], []
    for number, (listen, ports) in enumerate(sites.items()):
        members = "\n".join(f"        server 127.0.0.1:{p} max_fails=2 fail_timeout=10s;"
                            for p in ports)
        upstreams.append(f"    upstream navigator_{number} {{\n{members}\n        keepalive 32;\n    }}")
        # The server snippet proxies to "navigator"; each site renames it to its own upstream.
        snippet = (DEPLOY / "nginx" / "navigator-server.conf").read_text().replace(
            "http://navigator;", f"http://navigator_{number};")
        (folder / f"server_{number}.conf").write_text(snippet)
        servers.append(f"    server {{\n        listen 127.0.0.1:{listen};\n"
                       f"        access_log {folder / 'access.log'} navigator_json;\n"
                       f"        include {folder / f'server_{number}.conf'};\n    }}")
    temp = folder / "temp"
    return "\n".join([
        "worker_processes 1;",
        f"pid {folder / 'nginx.pid'};",
        f"error_log {folder / 'error.log'} warn;",
        "events { worker_connections 4096; }",
        "http {",
        f"    include {DEPLOY / 'nginx' / 'navigator-http.conf'};",
        *(f"    {kind}_temp_path {temp / kind};" for kind in
          ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
        *upstreams, *servers,
        "}",
    ]) + "\n"


class Shape:
    """`with Shape(env, instances=2) as shape:` nginx on `shape.port` (every instance) and, with
    `single_site=True`, `shape.single_port` (the first instance only)."""

    def __init__(self, env: dict[str, str], instances: int = 2, target: str = "app:app",
                 workers: int = 2, threads: int = 32, single_site: bool = False) -> None:
        self.env, self.instances, self.target = env, instances, target
        self.workers, self.threads, self.single_site = workers, threads, single_site
        self.instance_ports: list[int] = []
        self.instance_processes: list[subprocess.Popen] = []
        self.port = self.single_port = 0
        self.folder = Path(tempfile.mkdtemp(prefix="navigator-shape-"))
        self._stack = ExitStack()

    def __enter__(self) -> Shape:
        try:
            for _ in range(self.instances):
                process, port = start_instance(self.env, self.target, self.workers, self.threads)
                self._stack.callback(stop, process)
                self.instance_ports.append(port)
                self.instance_processes.append(process)
            self.port = free_port()
            sites = {self.port: self.instance_ports}
            if self.single_site:
                self.single_port = free_port()
                sites[self.single_port] = self.instance_ports[:1]
            (self.folder / "temp").mkdir()
            os.chmod(self.folder, 0o755)
            os.chmod(self.folder / "temp", 0o777)    # nginx's workers may run as nobody
            config = self.folder / "nginx.conf"
            config.write_text(nginx_config(self.folder, sites))
            nginx = subprocess.Popen([NGINX, "-p", str(self.folder), "-c", str(config),  # nosec B603
                                      "-g", "daemon off;"])
            self._stack.callback(stop, nginx)
            wait_for_port(self.port, nginx, "nginx")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def access_log(self) -> str:
        path = self.folder / "access.log"
        return path.read_text() if path.exists() else ""

    def __exit__(self, *_exc) -> None:
        self._stack.close()
        shutil.rmtree(self.folder, ignore_errors=True)
