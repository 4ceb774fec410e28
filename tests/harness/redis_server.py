"""A Redis server for tests of shared rate limits: the one on 127.0.0.1:6379 when it answers
(or ``TEST_REDIS_URL``), else a throwaway ``redis-server`` on a free loopback port that keeps
nothing on disk."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from tests.harness.network import free_port

DEFAULT_URL = "redis://127.0.0.1:6379"
START_TIMEOUT_S = 10.0


def answers(url: str) -> bool:
    """Whether a Redis server at ``url`` answers PING."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@contextmanager
def redis_server() -> Iterator[str | None]:
    """The URL of a running Redis server, or None when there is none and none can be run."""
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_URL)
    if answers(url):
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    process = subprocess.Popen(  # the system's redis-server, fixed arguments
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"redis://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers(url):
            if time.monotonic() > deadline or process.poll() is not None:
                raise AssertionError(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
