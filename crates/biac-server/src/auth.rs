//! Who is asking. First version: bearer tokens mapped to subjects.

use std::collections::BTreeMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use biac_model::{Classification, Nation, Subject};

use crate::guard::Egress;
use crate::AppState;

/// Maps bearer tokens to subjects.
pub struct Authenticator {
    tokens: BTreeMap<String, Subject>,
}

impl Authenticator {
    /// The demo logins `demo-jpn`, `demo-usa`, `demo-aus`, `demo-kor`, `demo-phl`: one
    /// SECRET-cleared analyst per nation. Only `biac demo` constructs this.
    pub fn demo() -> Self {
        let tokens = [
            Nation::JPN,
            Nation::USA,
            Nation::AUS,
            Nation::KOR,
            Nation::PHL,
        ]
        .into_iter()
        .map(|n| {
            (
                format!("demo-{}", n.as_str().to_lowercase()),
                Subject::new(n, Classification::Secret),
            )
        })
        .collect();
        Authenticator { tokens }
    }

    /// Tokens from configuration.
    pub fn from_tokens(tokens: BTreeMap<String, Subject>) -> Self {
        Authenticator { tokens }
    }

    pub fn subjects(&self) -> impl Iterator<Item = (&str, &Subject)> {
        self.tokens.iter().map(|(t, s)| (t.as_str(), s))
    }

    fn lookup(&self, token: &str) -> Option<Subject> {
        self.tokens.get(token).copied()
    }
}

/// An authenticated caller at this request's exit (`http:<path>`); extracting it
/// answers 401 when absent.
pub struct Caller(pub Egress);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match token.and_then(|t| state.auth.lookup(t)) {
            Some(s) => {
                let action = if parts.method == axum::http::Method::GET {
                    "read"
                } else {
                    "write"
                };
                let point = format!("http:{}", parts.uri.path());
                Ok(Caller(Egress::new(s, point, action, state.audit.clone())))
            }
            None => Err((
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer realm=\"biac\"")],
                axum::Json(serde_json::json!({"error": "authentication required"})),
            )
                .into_response()),
        }
    }
}
