//! Accounts, session tokens, the Cedar request policy and signed ingest, through the
//! real router.
//!
//! A TLS listener inserts the connection's verified client certificate ([`PeerCert`])
//! into each request; here requests carry it directly, so the binding rules are tested
//! without a handshake: a session opened with one certificate is refused with another or
//! none, a certificate of another nation than the credential is refused, and a session
//! expires and can be ended.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use biac_model::{Classification, FeedConfig, FeedFormat, Label, Nation, ObservationKind, Subject};
use biac_runtime::RuntimeConfig;
use biac_server::auth::{hash_password, Account, TokenEntry};
use biac_server::authz::{RequestPolicy, Role};
use biac_server::peer::PeerCert;
use biac_server::{AppState, Authenticator};
use biac_store::{Store, SyncPolicy};
use serde_json::{json, Value};
use tower::ServiceExt;

fn account(user: &str, password_hash: &str, nation: Nation, roles: &[Role]) -> Account {
    Account {
        user: user.into(),
        password_hash: password_hash.into(),
        nation,
        clearance: Classification::Secret,
        holdings: Default::default(),
        roles: roles.to_vec(),
    }
}

struct App {
    router: axum::Router,
    _dir: tempfile::TempDir,
}

async fn app(ttl: Duration) -> App {
    let dir = tempfile::tempdir().unwrap();
    let feed = |name: &str, nation| {
        (
            FeedConfig {
                name: name.into(),
                format: FeedFormat::Cot,
                nation,
                default_label: Label::unclassified_public(nation),
                trusted_markings: false,
                cot_kind: ObservationKind::Plot,
                description: String::new(),
                limits: Default::default(),
            },
            "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
        )
    };
    let rt = biac_runtime::start(RuntimeConfig {
        sync: SyncPolicy::Normal,
        feeds: vec![feed("jpn-cot", Nation::JPN), feed("usa-cot", Nation::USA)],
        audiences: vec![
            Subject::new(Nation::JPN, Classification::Secret),
            Subject::new(Nation::USA, Classification::Secret),
        ],
        reorder_window_ms: 1_000,
        max_future_ms: 60_000,
        ..RuntimeConfig::new(dir.path().to_path_buf())
    })
    .await
    .unwrap();
    let hash = hash_password("correct horse").unwrap();
    let accounts = vec![
        account("aiko", &hash, Nation::JPN, &[Role::Analyst]),
        account("bob", &hash, Nation::USA, &[Role::Analyst]),
        account("liaison-phl", &hash, Nation::JPN, &[Role::Liaison]),
        account("op-usa", &hash, Nation::USA, &[Role::FeedOperator]),
    ];
    let mut tokens = BTreeMap::new();
    tokens.insert(
        "machine-jpn".to_string(),
        TokenEntry {
            subject: Subject::new(Nation::JPN, Classification::Secret),
            roles: None,
        },
    );
    let auth = Authenticator::new(tokens, accounts, ttl, RequestPolicy::default_policy()).unwrap();
    let store = Store::open(dir.path(), SyncPolicy::Normal).unwrap();
    let mut state = AppState::new(rt, auth, store, None);
    // The U.S. feed takes only reports signed by its sensor's key.
    let mut signers = biac_server::signed::FeedSigners::default();
    let pubkey = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        sensor_key().verifying_key().to_bytes(),
    );
    signers
        .insert("usa-cot", &[("mq9-1".to_string(), pubkey)].into())
        .unwrap();
    state.signers = Arc::new(signers);
    App {
        router: biac_server::app(state),
        _dir: dir,
    }
}

fn sensor_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[42; 32])
}

fn cert(nation: Nation, fp: u8) -> PeerCert {
    PeerCert {
        nation,
        common_name: format!("user-{fp}"),
        fingerprint: [fp; 32],
    }
}

async fn call(
    app: &App,
    method: &str,
    path: &str,
    token: Option<&str>,
    peer: Option<PeerCert>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let mut req = req.body(body).unwrap();
    if let Some(p) = peer {
        req.extensions_mut().insert(p);
    }
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, v)
}

async fn login(
    app: &App,
    user: &str,
    password: &str,
    peer: Option<PeerCert>,
) -> (StatusCode, Value) {
    call(
        app,
        "POST",
        "/api/v1/session",
        None,
        peer,
        Some(json!({"user": user, "password": password})),
    )
    .await
}

#[tokio::test]
async fn password_login_gives_a_session_token_that_works_until_logout() {
    let app = app(Duration::from_secs(600)).await;
    let (st, v) = login(&app, "aiko", "correct horse", None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("bs_") && token.len() == 67, "{token}");
    assert_eq!(v["nation"], "JPN");
    assert_eq!(v["clearance"], "SECRET");
    assert_eq!(v["roles"], json!(["analyst"]));
    assert_eq!(v["expires_in_s"], 600);

    let (st, v) = call(&app, "GET", "/api/v1/tracks", Some(&token), None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["audience"]["nation"], "JPN");

    // Two logins are two sessions; ending one leaves the other.
    let (_, v2) = login(&app, "aiko", "correct horse", None).await;
    let token2 = v2["token"].as_str().unwrap().to_string();
    assert_ne!(token, token2);
    let (st, _) = call(&app, "DELETE", "/api/v1/session", Some(&token), None, None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = call(&app, "GET", "/api/v1/tracks", Some(&token), None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = call(&app, "DELETE", "/api/v1/session", Some(&token), None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = call(&app, "GET", "/api/v1/tracks", Some(&token2), None, None).await;
    assert_eq!(st, StatusCode::OK);
    // An API token is not a session: nothing to end.
    let (st, _) = call(
        &app,
        "DELETE",
        "/api/v1/session",
        Some("machine-jpn"),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_failed_login_answers_alike() {
    let app = app(Duration::from_secs(600)).await;
    let wrong = login(&app, "aiko", "correct horse ", None).await;
    let unknown = login(&app, "nobody", "correct horse", None).await;
    let other_nation = login(&app, "aiko", "correct horse", Some(cert(Nation::USA, 1))).await;
    let token_as_user = login(&app, "machine-jpn", "", None).await;
    for (st, v) in [&wrong, &unknown, &other_nation, &token_as_user] {
        assert_eq!(*st, StatusCode::UNAUTHORIZED);
        assert_eq!(*v, json!({"error": "invalid user or password"}));
    }
    // Malformed bodies are refused before any password check.
    let (st, _) = call(
        &app,
        "POST",
        "/api/v1/session",
        None,
        None,
        Some(json!({"user": "aiko", "password": "correct horse", "nation": "USA"})),
    )
    .await;
    assert!(st.is_client_error(), "{st}");
}

#[tokio::test]
async fn sessions_expire() {
    let app = app(Duration::from_millis(700)).await;
    let (_, v) = login(&app, "aiko", "correct horse", None).await;
    let token = v["token"].as_str().unwrap().to_string();
    let (st, _) = call(&app, "GET", "/api/v1/tracks", Some(&token), None, None).await;
    assert_eq!(st, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(900)).await;
    let (st, _) = call(&app, "GET", "/api/v1/tracks", Some(&token), None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_session_opened_with_a_certificate_is_refused_on_any_other_connection() {
    let app = app(Duration::from_secs(600)).await;
    let mine = cert(Nation::JPN, 7);
    let (st, v) = login(&app, "aiko", "correct horse", Some(mine.clone())).await;
    assert_eq!(st, StatusCode::OK);
    let token = v["token"].as_str().unwrap().to_string();
    let get = |peer: Option<PeerCert>| {
        let token = token.clone();
        let app = &app;
        async move {
            call(app, "GET", "/api/v1/tracks", Some(&token), peer, None)
                .await
                .0
        }
    };
    assert_eq!(get(Some(mine.clone())).await, StatusCode::OK);
    // Replayed by another Japanese certificate holder, by a U.S. one, or without TLS.
    assert_eq!(
        get(Some(cert(Nation::JPN, 8))).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(Some(cert(Nation::USA, 7))).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get(None).await, StatusCode::UNAUTHORIZED);
    // Still good for its owner afterwards.
    assert_eq!(get(Some(mine)).await, StatusCode::OK);
}

#[tokio::test]
async fn a_credential_is_refused_with_a_certificate_of_another_nation() {
    let app = app(Duration::from_secs(600)).await;
    let (st, _) = call(
        &app,
        "GET",
        "/api/v1/tracks",
        Some("machine-jpn"),
        Some(cert(Nation::JPN, 1)),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = call(
        &app,
        "GET",
        "/api/v1/tracks",
        Some("machine-jpn"),
        Some(cert(Nation::USA, 1)),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // An unbound session (opened without TLS) used over a U.S. certificate.
    let (_, v) = login(&app, "aiko", "correct horse", None).await;
    let token = v["token"].as_str().unwrap();
    let (st, _) = call(
        &app,
        "GET",
        "/api/v1/tracks",
        Some(token),
        Some(cert(Nation::USA, 2)),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_request_policy_refuses_like_an_unknown_path() {
    let app = app(Duration::from_secs(600)).await;
    let (_, unknown) = call(
        &app,
        "GET",
        "/api/v1/no-such-thing",
        Some("machine-jpn"),
        None,
        None,
    )
    .await;
    let session = |user: &'static str| {
        let app = &app;
        async move {
            let (_, v) = login(app, user, "correct horse", None).await;
            v["token"].as_str().unwrap().to_string()
        }
    };
    let liaison = session("liaison-phl").await;
    let op = session("op-usa").await;
    let analyst = session("bob").await;

    // Liaison officers query but do not monitor; feed operators monitor but do not query.
    let (st, _) = call(&app, "GET", "/api/v1/tracks", Some(&liaison), None, None).await;
    assert_eq!(st, StatusCode::OK);
    for (token, path) in [
        (&liaison, "/api/v1/feeds"),
        (&liaison, "/api/v1/metrics"),
        (&op, "/api/v1/tracks"),
        (&op, "/api/v1/ws"),
        (&op, "/api/v1/history"),
    ] {
        let (st, v) = call(&app, "GET", path, Some(token), None, None).await;
        assert_eq!((st, &v), (StatusCode::NOT_FOUND, &unknown), "{path}");
    }
    let (st, _) = call(&app, "GET", "/api/v1/feeds", Some(&op), None, None).await;
    assert_eq!(st, StatusCode::OK);

    // Ingest: a U.S. feed operator into the U.S. feed, never into Japan's; an analyst never.
    let event = r#"<event version="2.0" uid="x1" type="a-u-S" how="m-g" time="2026-11-30T00:00:00Z" start="2026-11-30T00:00:00Z" stale="2026-11-30T00:05:00Z"><point lat="25" lon="125" hae="0" ce="50" le="9999999"/></event>"#;
    let ingest = |token: String, feed: &'static str| {
        let app = &app;
        async move {
            let req = Request::builder()
                .method("POST")
                .uri(format!("/api/v1/feeds/{feed}/ingest"))
                .header("authorization", format!("Bearer {token}"))
                .header(
                    "biac-signature",
                    sign(feed, "UNCLASSIFIED", event.as_bytes()),
                )
                .body(Body::from(event))
                .unwrap();
            app.router.clone().oneshot(req).await.unwrap().status()
        }
    };
    assert_eq!(ingest(op.clone(), "usa-cot").await, StatusCode::OK);
    assert_eq!(ingest(op.clone(), "jpn-cot").await, StatusCode::NOT_FOUND);
    assert_eq!(
        ingest(analyst.clone(), "usa-cot").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(ingest(op, "no-such-feed").await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn public_routes_need_no_credential_and_others_do() {
    let app = app(Duration::from_secs(600)).await;
    for path in ["/api/v1/health", "/api/v1/openapi.json"] {
        let (st, _) = call(&app, "GET", path, None, None, None).await;
        assert_eq!(st, StatusCode::OK, "{path}");
    }
    for (m, p) in biac_server::ROUTES {
        if biac_server::routes_access(m, p) == Some(biac_server::Access::Public) {
            continue;
        }
        let path = p.replace("{id}", "T000001").replace("{feed}", "jpn-cot");
        let (st, _) = call(&app, m, &path, None, None, None).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{m} {p} without a credential");
        // A query-string token counts only on the WebSocket route.
        if *p != "/api/v1/ws" {
            let (st, _) = call(
                &app,
                m,
                &format!("{path}?token=machine-jpn"),
                None,
                None,
                None,
            )
            .await;
            assert_eq!(st, StatusCode::UNAUTHORIZED, "{m} {p} with ?token=");
        }
    }
}

fn sign(feed: &str, marking: &str, body: &[u8]) -> String {
    use ed25519_dalek::Signer;
    let sig = sensor_key().sign(&biac_server::signed::message(feed, marking, body));
    format!(
        "ed25519 key=mq9-1 sig={}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, sig.to_bytes())
    )
}

#[tokio::test]
async fn a_signed_feed_takes_only_reports_signed_over_body_and_label() {
    let app = app(Duration::from_secs(600)).await;
    let (_, v) = login(&app, "op-usa", "correct horse", None).await;
    let op = v["token"].as_str().unwrap().to_string();
    let event = r#"<event version="2.0" uid="s1" type="a-u-S" how="m-g" time="2026-11-30T00:00:00Z" start="2026-11-30T00:00:00Z" stale="2026-11-30T00:05:00Z"><point lat="25" lon="125" hae="0" ce="50" le="9999999"/></event>"#;
    let post = |sig: Option<String>, body: &'static str| {
        let app = &app;
        let op = op.clone();
        async move {
            let mut req = Request::builder()
                .method("POST")
                .uri("/api/v1/feeds/usa-cot/ingest")
                .header("authorization", format!("Bearer {op}"));
            if let Some(sig) = sig {
                req = req.header("biac-signature", sig);
            }
            let resp = app
                .router
                .clone()
                .oneshot(req.body(Body::from(body)).unwrap())
                .await
                .unwrap();
            let st = resp.status();
            let b = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .unwrap();
            (
                st,
                serde_json::from_slice::<Value>(&b).unwrap_or(Value::Null),
            )
        }
    };
    // Signed over this feed, its label and this body: accepted and journalled.
    let (st, v) = post(
        Some(sign("usa-cot", "UNCLASSIFIED", event.as_bytes())),
        event,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["accepted"], 1, "{v}");
    // Unsigned, signed for another label (a label swap), for another feed, or over an
    // edited body: refused whole, with the reason.
    let edited = r#"<event version="2.0" uid="s1" type="a-h-S" how="m-g" time="2026-11-30T00:00:00Z" start="2026-11-30T00:00:00Z" stale="2026-11-30T00:05:00Z"><point lat="25" lon="125" hae="0" ce="50" le="9999999"/></event>"#;
    for (sig, body, why) in [
        (None, event, "requires a Biac-Signature"),
        (
            Some(sign("usa-cot", "SECRET//REL TO USA", event.as_bytes())),
            event,
            "does not verify",
        ),
        (
            Some(sign("jpn-cot", "UNCLASSIFIED", event.as_bytes())),
            event,
            "does not verify",
        ),
        (
            Some(sign("usa-cot", "UNCLASSIFIED", event.as_bytes())),
            edited,
            "does not verify",
        ),
        (
            Some("ed25519 key=other sig=AAAA".to_string()),
            event,
            "unknown signing key",
        ),
    ] {
        let (st, v) = post(sig, body).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{why}: {v}");
        let err = v["error"].as_str().unwrap();
        assert!(
            err.contains(why) && err.contains("nothing was ingested"),
            "{err}"
        );
    }
    // The feed counts the refusals.
    let (_, v) = call(&app, "GET", "/api/v1/feeds", Some(&op), None, None).await;
    let usa = v["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "usa-cot")
        .unwrap();
    assert_eq!(usa["accepted"], 1, "{usa}");
    assert_eq!(usa["rejected"], 5, "{usa}");
    assert!(
        usa["last_error"].as_str().unwrap().contains("signature"),
        "{usa}"
    );
}
