//! Subject and stream names. An audience key or a feed name becomes one subject token, so it
//! is checked: a `.` would split it into two tokens and `*`/`>` would be wildcards — an
//! audience named `A.>` must never become a subscription to everything.

use std::fmt;

/// The stream of every observation.
pub const OBS_STREAM: &str = "OBS";
/// Subjects of the `OBS` stream.
pub const OBS_SUBJECTS: &str = "biac.obs.>";
/// Markers in the `OBS` stream, in order with the observations: `biac.mark.flush.<AUD>`
/// (the audience's inputs went quiet: release its re-ordering buffer). Published by the
/// audience's fusion node, so that every replay of the stream releases where the live run
/// did.
pub const MARK_SUBJECTS: &str = "biac.mark.>";
const FLUSH_PREFIX: &str = "biac.mark.flush.";
/// The KV bucket of audience leases.
pub const LEASE_BUCKET: &str = "biac_leases";
/// The object store of fusion snapshots.
pub const SNAPSHOT_BUCKET: &str = "biac_snapshots";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    #[error("{what} {value:?} is not a subject token (1 to 64 of A-Z a-z 0-9 _ - +)")]
    NotAToken { what: &'static str, value: String },
}

/// Whether `s` may stand as one subject token and inside a stream, bucket or user name.
fn is_token(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'+')
}

pub(crate) fn check_token(what: &'static str, value: &str) -> Result<(), SubjectError> {
    if is_token(value) {
        Ok(())
    } else {
        Err(SubjectError::NotAToken {
            what,
            value: value.to_string(),
        })
    }
}

/// An audience's key as it appears on the bus (the runtime's `Audience::key`, e.g.
/// `AUS-SECRET` or `JPN-SECRET+SI`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AudienceKey(String);

impl AudienceKey {
    pub fn new(key: impl Into<String>) -> Result<Self, SubjectError> {
        let key = key.into();
        check_token("audience", &key)?;
        Ok(AudienceKey(key))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// `biac.pic.<AUD>.*`: the audience's pictures, keyframes and deltas (a filter and a
    /// permission, not a subject one publishes on).
    pub fn picture_subject(&self) -> String {
        format!("biac.pic.{}.*", self.0)
    }
    /// `biac.pic.<AUD>.key`: the audience's whole pictures (keyframes, in parts).
    pub fn keyframe_subject(&self) -> String {
        format!("biac.pic.{}.key", self.0)
    }
    /// `biac.pic.<AUD>.delta`: what changed since the audience's previous picture.
    pub fn delta_subject(&self) -> String {
        format!("biac.pic.{}.delta", self.0)
    }
    /// `biac.alert.<AUD>`: the audience's alerts.
    pub fn alert_subject(&self) -> String {
        format!("biac.alert.{}", self.0)
    }
    /// `biac.mark.flush.<AUD>`: the audience's flush markers (in `OBS`).
    pub fn flush_subject(&self) -> String {
        format!("{FLUSH_PREFIX}{}", self.0)
    }
    /// The audience whose flush marker `subject` is, if it is one.
    pub fn of_flush_subject(subject: &str) -> Option<AudienceKey> {
        AudienceKey::new(subject.strip_prefix(FLUSH_PREFIX)?).ok()
    }
    /// `PIC_<AUD>`: the stream of the audience's recent keyframes and deltas.
    pub fn picture_stream(&self) -> String {
        format!("PIC_{}", self.0)
    }
    /// `ALERT_<AUD>`: the stream of the audience's alerts.
    pub fn alert_stream(&self) -> String {
        format!("ALERT_{}", self.0)
    }
}

impl fmt::Display for AudienceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `biac.obs.<feed>`: the subject an observation of `feed` is published on.
pub fn observation_subject(feed: &str) -> Result<String, SubjectError> {
    check_token("feed", feed)?;
    Ok(format!("biac.obs.{feed}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_refuse_separators_wildcards_and_space() {
        for bad in ["", "A.B", "*", ">", "A B", "USA.>", "a/b", &"x".repeat(65)] {
            assert!(AudienceKey::new(bad).is_err(), "{bad:?}");
            assert!(observation_subject(bad).is_err(), "{bad:?}");
        }
        let a = AudienceKey::new("JPN-SECRET+SI").unwrap();
        assert_eq!(a.picture_subject(), "biac.pic.JPN-SECRET+SI.*");
        assert_eq!(a.keyframe_subject(), "biac.pic.JPN-SECRET+SI.key");
        assert_eq!(a.delta_subject(), "biac.pic.JPN-SECRET+SI.delta");
        assert_eq!(a.alert_stream(), "ALERT_JPN-SECRET+SI");
        assert_eq!(observation_subject("ais-1").unwrap(), "biac.obs.ais-1");
    }
}
