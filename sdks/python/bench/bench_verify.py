"""Token verification: oauth4os.Verifier vs PyJWT (+ cryptography) and joserfc.

ES256 and RS256, each
- cold: a new token every time (keys already loaded and cached by every library);
- cached: the same token again (oauth4os answers from its verified-token cache; the others have
  no such cache and verify again).
Prints the median time per verification and the ratio to PyJWT, all from one run.

    bash sdks/python/bench/run.sh        (builds the release wheel first)
"""

from __future__ import annotations

import functools
import json
import statistics
import time
import timeit
from base64 import urlsafe_b64encode
from collections.abc import Callable
from typing import Any, cast

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, RSAKey

from oauth4os import Verifier

ISSUER = "https://idp.bench.test"
AUDIENCE = "https://proxy.bench.test"
BATCH = 200
REPEATS = 15


def _b64(n: int, length: int) -> str:
    return urlsafe_b64encode(n.to_bytes(length, "big")).rstrip(b"=").decode()


def _keys() -> dict[str, tuple[Any, Any, dict[str, str]]]:
    """alg -> (private key, public key, public JWK)."""
    ec_priv = ec.generate_private_key(ec.SECP256R1())
    ec_pub = ec_priv.public_key()
    nums = ec_pub.public_numbers()
    ec_jwk = {
        "kty": "EC",
        "crv": "P-256",
        "kid": "es",
        "alg": "ES256",
        "use": "sig",
        "x": _b64(nums.x, 32),
        "y": _b64(nums.y, 32),
    }
    rsa_priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_pub = rsa_priv.public_key()
    rn = rsa_pub.public_numbers()
    rsa_jwk = {
        "kty": "RSA",
        "kid": "rs",
        "alg": "RS256",
        "use": "sig",
        "n": _b64(rn.n, 256),
        "e": _b64(rn.e, 3),
    }
    return {"ES256": (ec_priv, ec_pub, ec_jwk), "RS256": (rsa_priv, rsa_pub, rsa_jwk)}


def _tokens(alg: str, priv: Any, kid: str, count: int) -> list[str]:
    now = int(time.time())
    return [
        pyjwt.encode(
            {
                "iss": ISSUER,
                "aud": AUDIENCE,
                "sub": "bench",
                "client_id": "bench",
                "scope": "read:logs-*",
                "jti": f"j-{i}",
                "iat": now,
                "exp": now + 3600,
            },
            priv,
            algorithm=alg,
            headers={"kid": kid, "typ": "at+jwt"},
        )
        for i in range(count)
    ]


def _median_us(fn: Callable[[str], object], tokens: list[str]) -> float:
    """timeit: REPEATS runs of BATCH calls, each on the next of ``tokens``; the median time
    per call, in µs."""
    it = iter(tokens)
    timer = timeit.Timer(lambda: fn(next(it)))
    runs = timer.repeat(repeat=REPEATS, number=BATCH)
    return statistics.median(runs) / BATCH * 1e6


def _joserfc_verify(key: Any, alg: str, registry: jose_jwt.JWTClaimsRegistry, token: str) -> object:
    tok = jose_jwt.decode(token, key, algorithms=[alg])
    registry.validate(tok.claims)
    return tok.claims


def main() -> None:
    results: list[tuple[str, str, str, float]] = []
    for alg, (priv, pub, jwk) in _keys().items():
        jwks = {"keys": [jwk]}
        # Cold: distinct tokens for every call of every library (each library gets its own).
        pools = {
            name: _tokens(alg, priv, jwk["kid"], BATCH * (REPEATS + 1))
            for name in ("oauth4os", "pyjwt", "joserfc")
        }
        ours = Verifier.from_jwks(jwks, issuer=ISSUER, audience=AUDIENCE, algorithms=[alg])
        jose_key = (ECKey if alg == "ES256" else RSAKey).import_key(cast(Any, jwk))
        registry = jose_jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": ISSUER},
            aud={"essential": True, "value": AUDIENCE},
            exp={"essential": True},
        )

        runners: dict[str, Callable[[str], object]] = {
            "oauth4os": ours.verify,
            "pyjwt": functools.partial(
                pyjwt.decode, key=pub, algorithms=[alg], audience=AUDIENCE, issuer=ISSUER
            ),
            "joserfc": functools.partial(_joserfc_verify, jose_key, alg, registry),
        }
        for name, fn in runners.items():
            pool = pools[name]
            fn(pool[-1])  # warm up (and check it verifies)
            cold = _median_us(fn, pool[: BATCH * REPEATS])
            cached = _median_us(fn, [pool[-1]] * (BATCH * REPEATS))
            results += [(alg, "cold", name, cold), (alg, "cached", name, cached)]

    base = {(alg, mode): us for alg, mode, name, us in results if name == "pyjwt"}
    print(f"{'alg':6} {'mode':7} {'library':9} {'median µs':>10} {'vs PyJWT':>9}")
    for alg, mode, name, us in results:
        ratio = base[(alg, mode)] / us
        print(f"{alg:6} {mode:7} {name:9} {us:10.2f} {ratio:8.2f}x")
    print(json.dumps([dict(zip(("alg", "mode", "library", "median_us"), r)) for r in results]))


if __name__ == "__main__":
    main()
