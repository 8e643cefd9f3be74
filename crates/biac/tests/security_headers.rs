//! Issue 20 (weak): the page and the API answer with a Content Security Policy, no
//! framing, no MIME sniffing and no referrer, against the real `biac serve`.
//! (`tests/browser/` checks the page still works under the policy in Chromium.)

mod common;

use serde_json::json;

use common::server::{request, serve};

#[test]
fn page_and_api_carry_the_security_headers() {
    let s = serve(
        &json!({
            "feeds": [{"name": "jpn-ais", "format": "ais", "nation": "JPN",
                       "default_label": {"classification": "UNCLASSIFIED", "owner": ["JPN"]},
                       "listen": "127.0.0.1:0"}],
            "audiences": [{"nation": "JPN", "clearance": "SECRET"}],
            "tokens": {"t-jpn": {"nation": "JPN", "clearance": "SECRET"}},
        }),
        None,
    );
    for (path, token, status) in [
        ("/", None, 200),
        ("/app.js", None, 200),
        ("/api/v1/health", None, 200),
        ("/api/v1/tracks", None, 401),
        ("/api/v1/tracks", Some("t-jpn"), 200),
        ("/api/v1/no-such-thing", Some("t-jpn"), 404),
    ] {
        let (st, head, _) = request(s.http(), "GET", path, token, None);
        assert_eq!(st, status, "{path}: {head}");
        let head = head.to_ascii_lowercase();
        for want in [
            "content-security-policy: default-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "x-frame-options: deny",
            "x-content-type-options: nosniff",
            "referrer-policy: no-referrer",
        ] {
            assert!(head.contains(want), "{path} lacks {want}: {head}");
        }
    }
}
