//! Signed checkpoints and keys in the text forms of C2SP `tlog-checkpoint` and `signed-note`.
//!
//! A checkpoint note is
//!
//! ```text
//! biac-audit                                      <- origin
//! 1234                                            <- tree size, decimal
//! 3q2+7w...=                                      <- root hash, base64 (standard, padded)
//! time_ms 1764504000000                           <- extension line: when it was signed
//!                                                 <- blank line
//! — biac-audit AbCdEf...==                        <- em dash, key name, base64(key id || sig)
//! ```
//!
//! The signature is ed25519 over the note text (the lines above the blank line, each with its
//! newline). The key id is the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key),
//! as in signed-note; the public key is written as `name+hex(key id)+base64(0x01 || key)`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::merkle::Hash;

/// The checkpoint origin line and the key name of this log.
pub const ORIGIN: &str = "biac-audit";
/// The signed-note key name.
pub const KEY_NAME: &str = "biac-audit";
/// signed-note signature type byte for ed25519.
const ALG_ED25519: u8 = 0x01;
/// The em dash that starts a signed-note signature line.
const SIG_PREFIX: &str = "\u{2014} ";

/// A signed statement: "the log `origin` had `size` entries with root `root` at `time_ms`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub time_ms: i64,
    pub signature: [u8; 64],
}

/// The signed-note key id of an ed25519 key.
pub fn key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(key.as_bytes());
    let d: [u8; 32] = h.finalize().into();
    [d[0], d[1], d[2], d[3]]
}

fn hex4(b: &[u8; 4]) -> String {
    format!("{:02x}{:02x}{:02x}{:02x}", b[0], b[1], b[2], b[3])
}

/// Why a key's text form was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("expected {0}")]
    Form(&'static str),
    #[error("key name {0:?}, expected \"biac-audit\"")]
    Name(String),
    #[error("bad base64 in key")]
    Base64,
    #[error("{0} is not 32 bytes")]
    Length(&'static str),
    #[error("not an ed25519 key")]
    Algorithm,
    #[error("invalid ed25519 key: {0}")]
    Invalid(String),
    #[error("key id does not match the key")]
    KeyId,
    #[error("no system randomness: {0}")]
    NoRandomness(String),
    #[error("does not match the signing key")]
    Mismatch,
    #[error(
        "a signing key beside the log lets whoever can edit the log re-sign it: move it \
         outside the data directory and configure its path"
    )]
    BesideLog,
    #[error(
        "the signing key and the witness ({}) must be outside the data directory",
        .0.display()
    )]
    InsideDataDir(std::path::PathBuf),
}

/// Why the checkpoints file, or one checkpoint in it, was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("invalid UTF-8")]
    Utf8,
    #[error("incomplete last line (torn write?)")]
    TornLine,
    #[error("checkpoint without a signature")]
    Unsigned,
    #[error("checkpoint without a signature (torn write?)")]
    TornUnsigned,
    #[error("a checkpoint needs origin, size and root lines")]
    Lines,
    #[error("origin {0:?}, expected \"biac-audit\"")]
    Origin(String),
    #[error("bad tree size {0:?}")]
    Size(String),
    #[error("bad root hash {0:?}")]
    Root(String),
    #[error("bad extension line {0:?}")]
    Extension(String),
    #[error("expected exactly one extension line, time_ms")]
    Extensions,
    #[error("bad signature line {0:?}")]
    SignatureLine(String),
    #[error("checkpoint text is not in canonical form")]
    NotCanonical,
    #[error("bad signature")]
    BadSignature,
    #[error("no signature by the log's key")]
    NoSignature,
    #[error("tree size {size} is below the previous checkpoint's {previous}")]
    Shrinks { size: u64, previous: u64 },
}

/// The verifier-key text form: `biac-audit+<key id hex>+<base64(0x01 || key)>`.
pub fn encode_public_key(key: &VerifyingKey) -> String {
    let mut raw = vec![ALG_ED25519];
    raw.extend_from_slice(key.as_bytes());
    format!(
        "{KEY_NAME}+{}+{}",
        hex4(&key_id(KEY_NAME, key)),
        B64.encode(raw)
    )
}

/// Parses the verifier-key text form (surrounding whitespace ignored); checks name and id.
pub fn decode_public_key(text: &str) -> Result<VerifyingKey, KeyError> {
    let mut parts = text.trim().splitn(3, '+');
    let (Some(name), Some(id), Some(b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(KeyError::Form("name+keyid+base64"));
    };
    if name != KEY_NAME {
        return Err(KeyError::Name(name.to_string()));
    }
    let raw = B64.decode(b64).map_err(|_| KeyError::Base64)?;
    let key = match raw.split_first() {
        Some((&ALG_ED25519, rest)) => {
            let bytes: [u8; 32] = rest
                .try_into()
                .map_err(|_| KeyError::Length("ed25519 key"))?;
            VerifyingKey::from_bytes(&bytes).map_err(|e| KeyError::Invalid(e.to_string()))?
        }
        _ => return Err(KeyError::Algorithm),
    };
    if id != hex4(&key_id(KEY_NAME, &key)) {
        return Err(KeyError::KeyId);
    }
    Ok(key)
}

/// The private-key text form: `PRIVATE+KEY+biac-audit+<key id hex>+<base64(0x01 || seed)>`.
pub fn encode_signing_key(key: &SigningKey) -> String {
    let mut raw = vec![ALG_ED25519];
    raw.extend_from_slice(key.as_bytes());
    format!(
        "PRIVATE+KEY+{KEY_NAME}+{}+{}",
        hex4(&key_id(KEY_NAME, &key.verifying_key())),
        B64.encode(raw)
    )
}

/// Parses the private-key text form.
pub fn decode_signing_key(text: &str) -> Result<SigningKey, KeyError> {
    let rest = text
        .trim()
        .strip_prefix("PRIVATE+KEY+")
        .ok_or(KeyError::Form("PRIVATE+KEY+name+keyid+base64"))?;
    let mut parts = rest.splitn(3, '+');
    let (Some(name), Some(id), Some(b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(KeyError::Form("PRIVATE+KEY+name+keyid+base64"));
    };
    if name != KEY_NAME {
        return Err(KeyError::Name(name.to_string()));
    }
    let raw = B64.decode(b64).map_err(|_| KeyError::Base64)?;
    let key = match raw.split_first() {
        Some((&ALG_ED25519, rest)) => {
            let seed: [u8; 32] = rest
                .try_into()
                .map_err(|_| KeyError::Length("ed25519 seed"))?;
            SigningKey::from_bytes(&seed)
        }
        _ => return Err(KeyError::Algorithm),
    };
    if id != hex4(&key_id(KEY_NAME, &key.verifying_key())) {
        return Err(KeyError::KeyId);
    }
    Ok(key)
}

impl Checkpoint {
    /// Signs a checkpoint of this log's origin.
    pub fn sign(size: u64, root: Hash, time_ms: i64, key: &SigningKey) -> Checkpoint {
        let mut c = Checkpoint {
            origin: ORIGIN.to_string(),
            size,
            root,
            time_ms,
            signature: [0; 64],
        };
        c.signature = key.sign(c.body().as_bytes()).to_bytes();
        c
    }

    /// The signed text: origin, size, root, extension lines, each ending in a newline.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\ntime_ms {}\n",
            self.origin,
            self.size,
            B64.encode(self.root),
            self.time_ms
        )
    }

    /// The whole signed note (body, blank line, signature line), ending in a newline.
    pub fn to_note(&self, key: &VerifyingKey) -> String {
        let mut sig = key_id(KEY_NAME, key).to_vec();
        sig.extend_from_slice(&self.signature);
        format!(
            "{}\n{SIG_PREFIX}{KEY_NAME} {}\n",
            self.body(),
            B64.encode(sig)
        )
    }

    /// Checks the signature over the body.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), CheckpointError> {
        key.verify_strict(
            self.body().as_bytes(),
            &Signature::from_bytes(&self.signature),
        )
        .map_err(|_| CheckpointError::BadSignature)
    }

    /// Parses one note: `body` is the text lines (without newlines), `sigs` the signature
    /// lines. Needs a signature by `key` that verifies; signatures by other keys (witnesses,
    /// cosigners) are ignored as signed-note prescribes.
    pub fn parse(
        body: &[&str],
        sigs: &[&str],
        key: &VerifyingKey,
    ) -> Result<Checkpoint, CheckpointError> {
        let [origin, size, root, ext @ ..] = body else {
            return Err(CheckpointError::Lines);
        };
        if *origin != ORIGIN {
            return Err(CheckpointError::Origin(origin.to_string()));
        }
        let size = parse_decimal(size).ok_or_else(|| CheckpointError::Size(size.to_string()))?;
        let root: Hash = B64
            .decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| CheckpointError::Root(root.to_string()))?;
        let time_ms = match ext {
            [t] => t
                .strip_prefix("time_ms ")
                .and_then(|v| v.parse::<i64>().ok())
                .ok_or_else(|| CheckpointError::Extension(t.to_string()))?,
            _ => return Err(CheckpointError::Extensions),
        };
        let want_id = key_id(KEY_NAME, key);
        let mut seen_ours = false;
        for line in sigs {
            let rest = line
                .strip_prefix(SIG_PREFIX)
                .ok_or_else(|| CheckpointError::SignatureLine(line.to_string()))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| CheckpointError::SignatureLine(line.to_string()))?;
            let raw = B64
                .decode(b64)
                .map_err(|_| CheckpointError::SignatureLine(line.to_string()))?;
            if name != KEY_NAME || raw.len() != 68 || raw[..4] != want_id {
                continue;
            }
            seen_ours = true;
            let mut signature = [0u8; 64];
            signature.copy_from_slice(&raw[4..]);
            let c = Checkpoint {
                origin: origin.to_string(),
                size,
                root,
                time_ms,
                signature,
            };
            // The body re-rendered must be the bytes that were signed.
            if c.body() != format!("{}\n", body.join("\n")) {
                return Err(CheckpointError::NotCanonical);
            }
            if c.verify(key).is_ok() {
                return Ok(c);
            }
        }
        if seen_ours {
            Err(CheckpointError::BadSignature)
        } else {
            Err(CheckpointError::NoSignature)
        }
    }
}

/// A decimal without sign or leading zeros.
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

/// One note parsed from the checkpoints file, with the 1-based line it starts on.
pub(crate) struct RawNote<'a> {
    pub line: usize,
    pub body: Vec<&'a str>,
    pub sigs: Vec<&'a str>,
}

/// Splits the checkpoints file into notes: text lines, a blank line, signature lines, and a
/// blank line between notes. `Err((line, reason))` for a torn or malformed file.
pub(crate) fn split_notes(text: &str) -> Result<Vec<RawNote<'_>>, (usize, CheckpointError)> {
    if !text.is_empty() && !text.ends_with('\n') {
        let line = text.lines().count();
        return Err((line, CheckpointError::TornLine));
    }
    let mut notes = Vec::new();
    let mut cur: Option<RawNote> = None;
    let mut in_sigs = false;
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        match (&mut cur, line.is_empty()) {
            (None, true) => {}
            (None, false) => {
                cur = Some(RawNote {
                    line: lineno,
                    body: vec![line],
                    sigs: Vec::new(),
                });
                in_sigs = false;
            }
            (Some(n), false) => {
                if in_sigs {
                    n.sigs.push(line);
                } else {
                    n.body.push(line);
                }
            }
            (Some(n), true) => {
                if in_sigs {
                    if n.sigs.is_empty() {
                        return Err((n.line, CheckpointError::Unsigned));
                    }
                    notes.extend(cur.take());
                } else {
                    in_sigs = true;
                }
            }
        }
    }
    if let Some(n) = cur {
        if n.sigs.is_empty() {
            return Err((n.line, CheckpointError::TornUnsigned));
        }
        notes.push(n);
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    #[test]
    fn note_roundtrip() {
        let k = key();
        let c = Checkpoint::sign(12, [9; 32], 1_764_504_000_000, &k);
        let note = c.to_note(&k.verifying_key());
        assert!(note.starts_with("biac-audit\n12\n"));
        let notes = split_notes(&note).unwrap();
        assert_eq!(notes.len(), 1);
        let got = Checkpoint::parse(&notes[0].body, &notes[0].sigs, &k.verifying_key()).unwrap();
        assert_eq!(got, c);
        // Another key does not verify it.
        let other = SigningKey::from_bytes(&[8; 32]).verifying_key();
        assert!(Checkpoint::parse(&notes[0].body, &notes[0].sigs, &other).is_err());
        // A changed size does not verify.
        let mut body = notes[0].body.clone();
        body[1] = "13";
        assert!(Checkpoint::parse(&body, &notes[0].sigs, &k.verifying_key()).is_err());
        body[1] = "012";
        assert!(Checkpoint::parse(&body, &notes[0].sigs, &k.verifying_key()).is_err());
    }

    #[test]
    fn key_text_roundtrip() {
        // Many keys, so that base64 with '+' in it is covered.
        for seed in 0..64u8 {
            let k = SigningKey::from_bytes(&[seed; 32]);
            let sk = decode_signing_key(&encode_signing_key(&k)).unwrap();
            assert_eq!(sk.to_bytes(), k.to_bytes());
            let vk = decode_public_key(&encode_public_key(&k.verifying_key())).unwrap();
            assert_eq!(vk, k.verifying_key());
        }
        let k = key();
        let vk = decode_public_key(&encode_public_key(&k.verifying_key())).unwrap();
        assert_eq!(vk, k.verifying_key());
        let sk = decode_signing_key(&encode_signing_key(&k)).unwrap();
        assert_eq!(sk.to_bytes(), k.to_bytes());
        assert!(decode_public_key("biac-audit+00000000+AQ==").is_err());
        assert!(decode_signing_key("garbage").is_err());
    }
}
