//! Every error body of the authorization server and the admin API carries the typed contract:
//! `error` (an OAuth or oauth4os code), `error_description` and a `reason` that this version
//! knows and that belongs to `error`.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use oauth4os_core::{ErrorCode, Reason};

use super::*;

fn check(what: &str, r: &Reply, want: (StatusCode, &str, Reason)) {
    let (status, code, reason) = want;
    assert_eq!(r.status, status, "{what}: {}", r.text);
    assert_eq!(r.error(), code, "{what}: {}", r.text);
    assert!(
        r.body["error_description"].is_string(),
        "{what}: {}",
        r.text
    );
    let got = r.body["reason"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no reason in {}", r.text));
    let parsed = Reason::from_wire(got).unwrap_or_else(|| panic!("{what}: unknown reason {got}"));
    assert_eq!(parsed, reason, "{what}: {}", r.text);
    let wire_code = ErrorCode::ALL
        .into_iter()
        .find(|c| c.as_str() == code)
        .unwrap();
    // The reason belongs to the code, except where the admin API reports a bad configuration
    // value sent to it as the caller's invalid_request.
    assert!(
        parsed.code() == wire_code
            || (parsed.code() == ErrorCode::Config && wire_code == ErrorCode::InvalidRequest),
        "{what}: {got} is not a reason of {code}"
    );
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store", "{what}");
}

#[tokio::test]
async fn oauth_endpoint_errors_carry_a_typed_reason() {
    let h = Harness::new();
    let cc = form(&[("grant_type", "client_credentials")]);
    let cases = [
        (
            "wrong secret",
            h.post("/oauth/token", &cc, Some(("ci", "nope"))).await,
            (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                Reason::ClientAuthFailed,
            ),
        ),
        (
            "no credentials",
            h.post("/oauth/token", &cc, None).await,
            (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                Reason::BadClientAuth,
            ),
        ),
        (
            "unknown grant",
            h.post(
                "/oauth/token",
                &form(&[("grant_type", "password")]),
                Some(("ci", "ci-secret")),
            )
            .await,
            (
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                Reason::UnsupportedGrantType,
            ),
        ),
        (
            "repeated parameter",
            h.post(
                "/oauth/token",
                "grant_type=a&grant_type=b",
                Some(("ci", "ci-secret")),
            )
            .await,
            (
                StatusCode::BAD_REQUEST,
                "invalid_request",
                Reason::DuplicateParameter,
            ),
        ),
        (
            "missing grant_type",
            h.post("/oauth/token", "scope=x", Some(("ci", "ci-secret")))
                .await,
            (
                StatusCode::BAD_REQUEST,
                "invalid_request",
                Reason::MissingParameter,
            ),
        ),
        (
            "scope beyond the client's",
            h.post(
                "/oauth/token",
                &form(&[("grant_type", "client_credentials"), ("scope", "admin:*")]),
                Some(("ci", "ci-secret")),
            )
            .await,
            (
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                Reason::ScopeNotAllowed,
            ),
        ),
        (
            "unknown resource",
            h.post(
                "/oauth/token",
                &form(&[
                    ("grant_type", "client_credentials"),
                    ("resource", "https://elsewhere.example"),
                ]),
                Some(("ci", "ci-secret")),
            )
            .await,
            (
                StatusCode::BAD_REQUEST,
                "invalid_target",
                Reason::UnknownResource,
            ),
        ),
        (
            "bad refresh token",
            h.post(
                "/oauth/token",
                &form(&[("grant_type", "refresh_token"), ("refresh_token", "nope")]),
                Some(("agent", "agent-secret")),
            )
            .await,
            (
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                Reason::RefreshTokenInvalid,
            ),
        ),
        (
            "revocation with an unknown hint",
            h.post(
                "/oauth/revoke",
                &form(&[("token", "x"), ("token_type_hint", "id_token")]),
                Some(("ci", "ci-secret")),
            )
            .await,
            (
                StatusCode::BAD_REQUEST,
                "unsupported_token_type",
                Reason::UnsupportedTokenType,
            ),
        ),
        (
            "introspection without a client",
            h.post("/oauth/introspect", &form(&[("token", "x")]), None)
                .await,
            (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                Reason::BadClientAuth,
            ),
        ),
        (
            "registration switched off",
            h.post("/oauth/register", "{}", None).await,
            (
                StatusCode::NOT_FOUND,
                "not_found",
                Reason::RegistrationDisabled,
            ),
        ),
    ];
    for (what, reply, want) in &cases {
        check(what, reply, *want);
    }
}

#[tokio::test]
async fn admin_errors_carry_a_typed_reason() {
    let h = Harness::new();
    let no_token = send(
        &h.router,
        Request::get("/admin/clients").body(Body::empty()).unwrap(),
    )
    .await;
    check(
        "no admin token",
        &no_token,
        (
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            Reason::MissingToken,
        ),
    );
    assert!(
        no_token.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer ")
    );
    let forged = send(
        &h.router,
        Request::get("/admin/clients")
            .header(header::AUTHORIZATION, "Bearer not.a.jwt")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(forged.error(), "invalid_token", "{}", forged.text);
    // Three segments, but the header is not canonical base64url: refused before any key lookup.
    assert_eq!(forged.body["reason"], "bad_base64", "{}", forged.text);
}
