//! The MCP endpoint's human documentation (its RFC 9728 `resource_documentation`): the tools,
//! what each stands for and the scope it needs, from the core's one list.

use std::fmt::Write as _;

use axum::http::header;
use axum::response::IntoResponse;

/// Where it is served.
pub const PATH: &str = "/docs/mcp";

/// `GET /docs/mcp`: plain text.
pub async fn documentation() -> impl IntoResponse {
    let mut page = String::from(
        "oauth4os MCP endpoint\n=====================\n\n\
         POST /mcp: MCP Streamable HTTP (stateless, JSON answers), protocol versions ",
    );
    page.push_str(&oauth4os_core::mcp::PROTOCOL_VERSIONS.join(", "));
    page.push_str(
        ".\nTokens: OAuth 2.0 bearer tokens for the resource `<this server>/mcp` (RFC 8707), \
         discovered through /.well-known/oauth-protected-resource/mcp (RFC 9728).\n\
         Every tool call is authorized as the OpenSearch request it stands for; a call the \
         token's scopes do not cover is answered with HTTP 403 and \
         `WWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"...\"`.\n\nTools\n-----\n",
    );
    for t in oauth4os_core::mcp::TOOLS {
        let _ = write!(
            page,
            "\n{} ({}; needs: {})\n  {}\n",
            t.name,
            t.title,
            t.needs.map_or("a valid token only", |a| a.as_str()),
            t.description
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], page)
}
