"""Shared fixtures. The end-to-end peers (proxy, OpenID provider, OpenSearch) come from the
repository's test-peer harness, ``.ci/harness/peers.sh``, which ``ci/test.sh`` runs pytest under:
their addresses arrive as ``OAUTH4OS_TEST_*`` variables, or in the env file named by
``OAUTH4OS_TEST_ENV`` (after ``export OAUTH4OS_TEST_ENV=$(bash .ci/harness/peers.sh up)``)."""

from __future__ import annotations

import contextlib
import json
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
SDK = ROOT / "sdks" / "python"
INDEX = "py-logs-1"
SECRET_INDEX = "py-secret-1"


def http_json(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


@dataclass(frozen=True)
class Peers:
    proxy: str
    idp: str
    opensearch: str
    agent_secret: str

    def metric(self, name: str, **labels: str) -> float:
        """The sum of a counter over the series of the proxy's /metrics matching ``labels``."""
        with urllib.request.urlopen(f"{self.proxy}/metrics", timeout=10) as resp:
            text = resp.read().decode()
        total = 0.0
        for line in text.splitlines():
            if not line.startswith(name + "{"):
                continue
            series, value = line.rsplit(" ", 1)
            if all(f'{k}="{v}"' in series for k, v in labels.items()):
                total += float(value)
        return total

    def idp_token_requests(self) -> int:
        stats: dict[str, int] = http_json("GET", f"{self.idp}/__test/stats")
        return stats["token_requests"]


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((ROOT / "core" / "conformance" / "vectors.json").read_text())
    return doc


def harness_env() -> dict[str, str]:
    """The harness's ``OAUTH4OS_TEST_*`` variables: the environment's, else its env file's."""
    found = {k: v for k, v in os.environ.items() if k.startswith("OAUTH4OS_TEST_")}
    env_file = os.environ.get("OAUTH4OS_TEST_ENV")
    if env_file and Path(env_file).is_file():
        for line in Path(env_file).read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and key.startswith("OAUTH4OS_TEST_"):
                found.setdefault(key, value)
    return found


@pytest.fixture(scope="session")
def peers() -> Iterator[Peers]:
    env = harness_env()
    wanted = ("PROXY_URL", "OIDC_ISSUER", "OPENSEARCH_URL", "CLIENT_SECRET")
    missing = [f"OAUTH4OS_TEST_{k}" for k in wanted if not env.get(f"OAUTH4OS_TEST_{k}")]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not set: run the tests through sdks/python/ci/test.sh "
            "(it runs them under .ci/harness/peers.sh)"
        )
    p = Peers(
        proxy=env["OAUTH4OS_TEST_PROXY_URL"],
        idp=env["OAUTH4OS_TEST_OIDC_ISSUER"],
        opensearch=env["OAUTH4OS_TEST_OPENSEARCH_URL"],
        agent_secret=env["OAUTH4OS_TEST_CLIENT_SECRET"],
    )
    for index, docs in (
        (INDEX, [{"level": "error", "msg": "disk full"}, {"level": "info", "msg": "ok"}]),
        (SECRET_INDEX, [{"level": "info", "msg": "the crown jewels"}]),
    ):
        with contextlib.suppress(urllib.error.HTTPError):
            http_json("DELETE", f"{p.opensearch}/{index}")
        http_json("PUT", f"{p.opensearch}/{index}", {"settings": {"number_of_replicas": 0}})
        for i, doc in enumerate(docs):
            http_json("PUT", f"{p.opensearch}/{index}/_doc/{i}?refresh=true", doc)
    yield p
    for index in (INDEX, SECRET_INDEX):
        http_json("DELETE", f"{p.opensearch}/{index}")
