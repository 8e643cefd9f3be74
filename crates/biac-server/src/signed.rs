//! Signed sensor reports: an ed25519 signature over a report's payload **and the label
//! it will carry**, verified strictly before anything is journalled.
//!
//! A feed configured with signers accepts, on HTTP ingest, only bodies carrying
//!
//! ```text
//! Biac-Signature: ed25519 key=<key id> sig=<base64 of the 64-byte signature>
//! ```
//!
//! over the message
//!
//! ```text
//! biac-report-v1\n<feed name>\n<marking of the feed's label>\n<body bytes>
//! ```
//!
//! Binding the feed and the label defeats label swapping: a report signed for an
//! `UNCLASSIFIED` feed does not verify when replayed into another feed, nor after the
//! feed's label is changed. Verification is `verify_strict` (no small-order keys, no
//! malleable signatures); a missing, malformed or wrong signature, or an unknown key id,
//! refuses the whole body and it is counted as rejected. Nothing is written by hand
//! here but the header parsing: the curve arithmetic is ed25519-dalek's.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use biac_model::ConfigError;
use ed25519_dalek::{Signature, VerifyingKey};

/// The header a signed body carries.
pub const HEADER: &str = "biac-signature";
const DOMAIN: &[u8] = b"biac-report-v1\n";

/// The public keys each feed accepts signatures from, by key id.
#[derive(Clone, Debug, Default)]
pub struct FeedSigners {
    feeds: BTreeMap<String, BTreeMap<String, VerifyingKey>>,
}

/// Why a signature was refused (told to the feed operator: they are authorized for the
/// feed, so the reason discloses nothing they may not know).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("this feed requires a Biac-Signature header")]
    Missing,
    #[error("malformed Biac-Signature header: {0}")]
    Malformed(&'static str),
    #[error("unknown signing key {0:?} for this feed")]
    UnknownKey(String),
    #[error("the signature does not verify over this feed, its label and the body")]
    Invalid,
}

/// The message a sensor signs.
pub fn message(feed: &str, marking: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN.len() + feed.len() + marking.len() + body.len() + 2);
    m.extend_from_slice(DOMAIN);
    m.extend_from_slice(feed.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(marking.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(body);
    m
}

/// A public key from its configuration form: base64 of the 32 raw bytes.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, KeyError> {
    let bytes = B64.decode(text.trim()).map_err(KeyError::Base64)?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| KeyError::Length(b.len()))?;
    VerifyingKey::from_bytes(&bytes).map_err(KeyError::NotAPoint)
}

/// Why a configured public key is refused.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("bad base64: {0}")]
    Base64(base64::DecodeError),
    #[error("an ed25519 public key is 32 bytes")]
    Length(usize),
    #[error("not an ed25519 point: {0}")]
    NotAPoint(ed25519_dalek::SignatureError),
}

impl FeedSigners {
    /// Require signatures on `feed` from these keys (`key id -> base64 public key`).
    pub fn insert(
        &mut self,
        feed: &str,
        keys: &BTreeMap<String, String>,
    ) -> Result<(), ConfigError> {
        if keys.is_empty() {
            return Err(ConfigError::new(
                "signers",
                format!("feed {feed}: signers is empty"),
            ));
        }
        let mut parsed = BTreeMap::new();
        for (id, k) in keys {
            let key = parse_public_key(k).map_err(|e| {
                ConfigError::new("signers", format!("feed {feed}: signer {id}: {e}"))
            })?;
            parsed.insert(id.clone(), key);
        }
        self.feeds.insert(feed.to_string(), parsed);
        Ok(())
    }

    /// Does `feed` require signed bodies?
    pub fn requires(&self, feed: &str) -> bool {
        self.feeds.contains_key(feed)
    }

    /// Check `header` over (`feed`, `marking`, `body`). Feeds without signers pass.
    pub fn verify(
        &self,
        feed: &str,
        marking: &str,
        body: &[u8],
        header: Option<&str>,
    ) -> Result<(), SignatureError> {
        let Some(keys) = self.feeds.get(feed) else {
            return Ok(());
        };
        let header = header.ok_or(SignatureError::Missing)?;
        let rest = header
            .strip_prefix("ed25519 ")
            .ok_or(SignatureError::Malformed("expected `ed25519 key=… sig=…`"))?;
        let (mut key_id, mut sig) = (None, None);
        for part in rest.split(' ').filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some(("key", v)) if key_id.is_none() => key_id = Some(v),
                // Split at the first `=` only: base64 padding is `=` too.
                Some(("sig", v)) if sig.is_none() => sig = Some(v),
                _ => return Err(SignatureError::Malformed("unexpected or repeated field")),
            }
        }
        let (Some(key_id), Some(sig)) = (key_id, sig) else {
            return Err(SignatureError::Malformed("key and sig are both required"));
        };
        let key = keys
            .get(key_id)
            .ok_or_else(|| SignatureError::UnknownKey(key_id.to_string()))?;
        let sig = B64
            .decode(sig)
            .map_err(|_| SignatureError::Malformed("sig is not base64"))?;
        let sig: [u8; 64] = sig
            .try_into()
            .map_err(|_| SignatureError::Malformed("sig is not 64 bytes"))?;
        key.verify_strict(&message(feed, marking, body), &Signature::from_bytes(&sig))
            .map_err(|_| SignatureError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn signers(key: &SigningKey) -> FeedSigners {
        let mut s = FeedSigners::default();
        let pubkey = B64.encode(key.verifying_key().to_bytes());
        s.insert("radar", &[("r1".to_string(), pubkey)].into())
            .unwrap();
        s
    }

    fn header(key: &SigningKey, feed: &str, marking: &str, body: &[u8]) -> String {
        let sig = key.sign(&message(feed, marking, body));
        format!("ed25519 key=r1 sig={}", B64.encode(sig.to_bytes()))
    }

    #[test]
    fn verifies_only_the_exact_feed_label_and_body() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let s = signers(&key);
        let m = "SECRET//REL TO USA, JPN";
        let body = b"<event/>";
        let h = header(&key, "radar", m, body);
        assert_eq!(s.verify("radar", m, body, Some(&h)), Ok(()));
        // Swapped label, other feed's name, edited body, other key: all refused.
        assert_eq!(
            s.verify("radar", "UNCLASSIFIED", body, Some(&h)),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            s.verify("radar", m, b"<event />", Some(&h)),
            Err(SignatureError::Invalid)
        );
        let other = SigningKey::from_bytes(&[8; 32]);
        assert_eq!(
            s.verify("radar", m, body, Some(&header(&other, "radar", m, body))),
            Err(SignatureError::Invalid)
        );
        let h_other_feed = header(&key, "ais", m, body);
        assert_eq!(
            s.verify("radar", m, body, Some(&h_other_feed)),
            Err(SignatureError::Invalid)
        );
        // Feeds without signers need none.
        assert_eq!(s.verify("ais", m, body, None), Ok(()));
    }

    #[test]
    fn malformed_headers_are_refused_with_a_reason() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let s = signers(&key);
        let good = header(&key, "radar", "UNCLASSIFIED", b"x");
        let sig = good.split("sig=").nth(1).unwrap();
        for (h, want) in [
            (None, SignatureError::Missing),
            (
                Some("".to_string()),
                SignatureError::Malformed("expected `ed25519 key=… sig=…`"),
            ),
            (
                Some(format!("rsa key=r1 sig={sig}")),
                SignatureError::Malformed("expected `ed25519 key=… sig=…`"),
            ),
            (
                Some("ed25519 key=r1".into()),
                SignatureError::Malformed("key and sig are both required"),
            ),
            (
                Some(format!("ed25519 key=r1 key=r1 sig={sig}")),
                SignatureError::Malformed("unexpected or repeated field"),
            ),
            (
                Some(format!("ed25519 key=r2 sig={sig}")),
                SignatureError::UnknownKey("r2".into()),
            ),
            (
                Some("ed25519 key=r1 sig=!!!".into()),
                SignatureError::Malformed("sig is not base64"),
            ),
            (
                Some("ed25519 key=r1 sig=AAAA".into()),
                SignatureError::Malformed("sig is not 64 bytes"),
            ),
        ] {
            assert_eq!(
                s.verify("radar", "UNCLASSIFIED", b"x", h.as_deref()),
                Err(want),
                "{h:?}"
            );
        }
        assert_eq!(s.verify("radar", "UNCLASSIFIED", b"x", Some(&good)), Ok(()));
    }

    #[test]
    fn bad_keys_in_configuration_are_refused() {
        let mut s = FeedSigners::default();
        assert!(s.insert("f", &BTreeMap::new()).is_err());
        assert!(s
            .insert("f", &[("k".to_string(), "AAAA".to_string())].into())
            .is_err());
        assert!(s
            .insert("f", &[("k".to_string(), "not base64".to_string())].into())
            .is_err());
    }
}
