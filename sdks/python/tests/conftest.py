"""Shared fixtures. The end-to-end peers (proxy, OpenID provider, OpenSearch) are started by
``ci/test.sh``, which passes their addresses in ``OAUTH4OS_PY_*`` variables."""

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

ROOT = Path(os.environ.get("OAUTH4OS_PY_ROOT") or Path(__file__).resolve().parents[3])
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


@pytest.fixture(scope="session")
def peers() -> Iterator[Peers]:
    env = {
        k: os.environ.get(f"OAUTH4OS_PY_{k}") for k in ("PROXY_URL", "IDP_ISSUER", "AGENT_SECRET")
    }
    opensearch = os.environ.get("OAUTH4OS_OPENSEARCH_URL")
    missing = [k for k, v in env.items() if not v]
    if missing or not opensearch:
        pytest.fail("run the tests through sdks/python/ci/test.sh (it starts the peers)")
    p = Peers(
        proxy=str(env["PROXY_URL"]),
        idp=str(env["IDP_ISSUER"]),
        opensearch=str(opensearch),
        agent_secret=str(env["AGENT_SECRET"]),
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
