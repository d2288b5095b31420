"""``python -m bot.cluster [run|config]``: what ``make run-cluster`` does.

- ``run`` (default): wait for PostgreSQL, Redis and RabbitMQ, prepare as ``make run``
  does (NLP pipeline, migrations, model), write the configuration files, then run
  HAProxy and every replica in the foreground until Ctrl-C.
- ``config``: only write the configuration files and print where they are.

The database defaults to ``postgresql://postgres@127.0.0.1:5432/calx`` here (created if
missing); ``CALX_DATABASE_URL`` from the environment or ``.env`` wins, but SQLite is
refused: several Rasa servers share one tracker store.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from bot.cluster.backing import backing_services, wait_for_services
from bot.cluster.supervisor import ClusterSupervisor
from bot.cluster.topology import (
    TICKET_LOCK_LIFETIME_S,
    Topology,
    services,
    write_haproxy_config,
    write_rasa_files,
)
from bot.settings import Settings, get_settings

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/calx"
TF_THREADS = (
    "TF_INTER_OP_PARALLELISM_THREADS",
    "TF_INTRA_OP_PARALLELISM_THREADS",
    "OMP_NUM_THREADS",
)
HAPROXY_HINT = "HAProxy is not installed: run `make cluster-deps` (apt-get install haproxy)"


def cluster_settings() -> Settings:
    """The settings, with the cluster's defaults put into the environment of every child."""
    if "database_url" not in Settings().__fields_set__:  # neither environment nor .env
        os.environ["CALX_DATABASE_URL"] = DEFAULT_DATABASE_URL
    os.environ["CALX_CLUSTER"] = "true"  # production checks: no placeholder secrets
    os.environ.setdefault("CALX_TRUSTED_PROXIES", "127.0.0.1")  # HAProxy's X-Forwarded-For
    os.environ.setdefault("TICKET_LOCK_LIFETIME", str(TICKET_LOCK_LIFETIME_S))
    for name in TF_THREADS:  # one thread each: the replicas share the cores already
        os.environ.setdefault(name, "1")
    get_settings.cache_clear()
    settings = get_settings()
    settings.check_secrets()
    return settings


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot.cluster", description=__doc__)
    parser.add_argument("command", nargs="?", default="run", choices=("run", "config"))
    args = parser.parse_args(argv)
    try:
        settings = cluster_settings()
    except ValueError as error:
        print(f"refusing to start the Calx cluster: {error}", file=sys.stderr)
        return 2
    if settings.is_sqlite:
        print(
            "refusing to start the Calx cluster on SQLite: set CALX_DATABASE_URL to a "
            f"PostgreSQL database (default {DEFAULT_DATABASE_URL})",
            file=sys.stderr,
        )
        return 2
    topology = Topology.of(settings)
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")
    if haproxy is None:
        print(HAPROXY_HINT, file=sys.stderr)
        return 2
    write_haproxy_config(topology)
    write_rasa_files(topology)
    if args.command == "config":
        print(f"configuration written to {topology.run_dir}")
        return 0
    try:
        backing = backing_services(settings.database_url, settings.redis_url, settings.amqp_url)
        wait_for_services(backing)
        from bot.runner.__main__ import prepare

        model = prepare()
    except KeyboardInterrupt:
        print("stopped before the cluster started", file=sys.stderr)
        return 130
    supervisor = ClusterSupervisor(services(topology, model, haproxy), topology.pids)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
