"""A throwaway PostgreSQL cluster in a temporary folder, for tests and benchmarks (never for data).

Needs the server binaries (Debian: ``apt-get install postgresql``). As root, the cluster is run as
the ``postgres`` system user, since initdb refuses to run as root.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ExtractorError


class PostgresUnavailable(ExtractorError):
    code = "E601"


def server_bin() -> Path | None:
    """The folder of initdb/pg_ctl, or None when the server is not installed."""
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a cluster on a free local port; yield its URL; stop it and remove its files."""
    bin_dir = server_bin()
    if bin_dir is None:
        raise PostgresUnavailable("PostgreSQL server binaries not found (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="extractor-pg-"))
    as_user: list[str] = []
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError as exc:
            raise PostgresUnavailable("running as root without a 'postgres' user to own the cluster") from exc
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = root / "data"
    try:
        subprocess.run(
            [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
            check=True,
            capture_output=True,
        )
        opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"],
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(
            f"could not start a throwaway cluster: {exc.stderr.decode(errors='replace')[-300:]}"
        ) from exc
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)
