//! Who is calling this route, and may they: the request extractors every handler
//! takes. A missing or unknown credential answers 401; a request the policy refuses,
//! 404 like an unknown path.

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::auth::Principal;
use crate::authz::{Access, RequestAction, Resource};
use crate::guard::Egress;
use crate::peer::PeerCert;
use crate::render::not_found;
use crate::state::AppState;

/// The WebSocket subprotocol that carries a bearer token (`bearer.<token>`, offered beside
/// [`WS_PROTOCOL`]).
pub const WS_BEARER_PREFIX: &str = "bearer.";
/// The subprotocol the WebSocket answers with when the client offers it.
pub const WS_PROTOCOL: &str = "biac.v1";

/// The bearer credential of a request: the `Authorization: Bearer` header, or for the
/// WebSocket upgrade (browsers cannot set headers there) a `bearer.<token>` subprotocol.
/// Never a URL's query: URLs end up in proxy and server logs, browser history and the
/// console line of a failed socket, and an API token there never expires. A `token`
/// query parameter is refused (401) and logged without its value.
pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    if let Some(t) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(t);
    }
    if parts.uri.path() == "/api/v1/ws" {
        // The page offers `Sec-WebSocket-Protocol: biac.v1, bearer.<token>`: a header, so
        // the token is in no URL.
        if let Some(t) = parts
            .headers
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .find_map(|p| p.trim().strip_prefix(WS_BEARER_PREFIX))
        {
            return Some(t);
        }
        if parts
            .uri
            .query()
            .is_some_and(|q| q.split('&').any(|kv| kv.starts_with("token=")))
        {
            tracing::warn!(
                path = parts.uri.path(),
                "credential in a WebSocket URL refused: offer it as the `bearer.` subprotocol"
            );
        }
    }
    None
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer realm=\"biac\"")],
        axum::Json(serde_json::json!({"error": "authentication required"})),
    )
        .into_response()
}

/// An authenticated caller permitted by the request policy to make this request, at
/// this request's exit (`http:<path>`). Extracting it answers 401 without a valid
/// credential and 404 (the same answer as an unknown path) when the policy refuses.
pub struct Caller(pub Egress);

/// The authenticated principal without the request-policy check, for requests that
/// only need to know who is asking (ending one's own session, unknown API paths).
pub struct Authenticated(pub Principal, pub String);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let peer = parts.extensions.get::<PeerCert>();
        let token = bearer(parts).ok_or_else(unauthorized)?;
        match state.auth.authenticate(token, peer) {
            Some(p) => Ok(Authenticated(p, token.to_string())),
            None => Err(unauthorized()),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Authenticated(principal, _) = Authenticated::from_request_parts(parts, state).await?;
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map(|m| m.as_str().to_string());
        let access = route
            .as_deref()
            .and_then(|r| crate::authz::access(parts.method.as_str(), r));
        let Some(Access::Authorized(action)) = access else {
            // Only routes in the table with an action reach here; anything else is a bug
            // in the route table and denies.
            return Err(not_found());
        };
        let resource = match action {
            RequestAction::Ingest => {
                let feed = parts
                    .uri
                    .path()
                    .strip_prefix("/api/v1/feeds/")
                    .and_then(|r| r.strip_suffix("/ingest"))
                    .unwrap_or_default();
                // A name that is no feed is decided as another nation's feed is: the
                // same policy evaluation, then the same 404, so the answer's time does
                // not tell a hidden feed from none (issue 20 finding 10).
                let nation = state.runtime.feed(feed).map_or_else(
                    || other_nation(principal.subject.nation),
                    |f| f.config.nation,
                );
                Resource::Feed {
                    name: feed.to_string(),
                    nation,
                }
            }
            _ => Resource::Service,
        };
        let authorized = state.auth.authorize(&principal, action, &resource);
        let exists = match &resource {
            Resource::Feed { name, .. } => state.runtime.feed(name).is_some(),
            Resource::Service => true,
        };
        // One log line and one answer for both refusals (the time must not differ).
        if !(exists && authorized) {
            tracing::info!(principal = %principal.name, action = action.as_str(), path = parts.uri.path(), "request refused by the request policy");
            return Err(not_found());
        }
        let point = format!("http:{}", parts.uri.path());
        Ok(Caller(
            Egress::new(
                principal.subject,
                point,
                action.label_action(),
                state.audit.clone(),
            )
            .with_principal(principal.name),
        ))
    }
}

/// A nation other than `n`, standing for the owner of a feed that does not exist.
fn other_nation(n: biac_model::Nation) -> biac_model::Nation {
    use biac_model::Nation;
    if n == Nation::USA {
        Nation::JPN
    } else {
        Nation::USA
    }
}
