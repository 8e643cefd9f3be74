//! What travels on the bus: JSON of the model's labelled types. Every observation, track and
//! alert carries its `Label`, and the model's types give the label no default, so a message
//! without one (or with `null`, or with an invalid one) fails to decode: refused, never
//! defaulted. Decoding never panics on any bytes.

use biac_model::{Alert, Observation, TimeMs, Track};
use serde::{Deserialize, Serialize};

/// One audience's whole fused picture (a keyframe), or one part of it, as published on
/// `biac.pic.<AUD>.key`: each track with its label. A keyframe larger than a message is
/// published as consecutive parts (`part` 0, 1, … up to the one marked `last`; tracks sorted
/// by id across them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PictureMsg {
    /// The audience key it was fused for (must match the subject's).
    pub audience: String,
    /// The publisher's lease revision: a node that took the audience over publishes with a
    /// higher one, so a reader ignores what a node that lost the audience still sends.
    pub epoch: u64,
    /// Data time of the newest observation fused.
    pub time_ms: TimeMs,
    /// The runtime's picture generation: strictly increases between publications.
    pub generation: u64,
    /// The `OBS` stream sequence of the newest observation fused into it.
    pub obs_seq: u64,
    pub part: u32,
    pub last: bool,
    /// The stream sequence of part 0 (0 in part 0 itself): where a reader starting from the
    /// latest part begins.
    pub first_seq: u64,
    pub tracks: Vec<Track>,
}

/// What changed in an audience's picture since the publication of generation `base`, as
/// published on `biac.pic.<AUD>.delta`: applied only on top of exactly that generation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PictureDelta {
    pub audience: String,
    pub epoch: u64,
    pub base: u64,
    pub generation: u64,
    pub time_ms: TimeMs,
    pub obs_seq: u64,
    /// New or changed tracks, sorted by id.
    pub upserts: Vec<Track>,
    /// Ids of the tracks gone, sorted.
    pub removed: Vec<u64>,
}

#[derive(Debug, thiserror::Error)]
#[error("undecodable {what} message: {source}")]
pub struct DecodeError {
    pub what: &'static str,
    #[source]
    pub source: serde_json::Error,
}

pub fn encode_observation(o: &Observation) -> Vec<u8> {
    serde_json::to_vec(o).expect("an observation serialises")
}

pub fn decode_observation(b: &[u8]) -> Result<Observation, DecodeError> {
    serde_json::from_slice(b).map_err(|source| DecodeError {
        what: "observation",
        source,
    })
}

pub fn encode_picture(p: &PictureMsg) -> Vec<u8> {
    serde_json::to_vec(p).expect("a picture serialises")
}

pub fn decode_picture(b: &[u8]) -> Result<PictureMsg, DecodeError> {
    serde_json::from_slice(b).map_err(|source| DecodeError {
        what: "picture",
        source,
    })
}

pub fn encode_delta(p: &PictureDelta) -> Vec<u8> {
    serde_json::to_vec(p).expect("a delta serialises")
}

pub fn decode_delta(b: &[u8]) -> Result<PictureDelta, DecodeError> {
    serde_json::from_slice(b).map_err(|source| DecodeError {
        what: "picture delta",
        source,
    })
}

pub fn encode_alert(a: &Alert) -> Vec<u8> {
    serde_json::to_vec(a).expect("an alert serialises")
}

pub fn decode_alert(b: &[u8]) -> Result<Alert, DecodeError> {
    serde_json::from_slice(b).map_err(|source| DecodeError {
        what: "alert",
        source,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use biac_label::{Label, Nation};
    use biac_model::Position;

    pub(crate) fn obs(feed: &str, t: TimeMs) -> Observation {
        Observation::new(
            t,
            Position::new(35.0, 139.0),
            50.0,
            feed,
            Label::unclassified_public(Nation::parse("USA").unwrap()),
        )
    }

    #[test]
    fn an_observation_round_trips_with_its_label() {
        let o = obs("ais-1", 1_000);
        assert_eq!(decode_observation(&encode_observation(&o)).unwrap(), o);
    }

    #[test]
    fn a_message_without_a_label_is_refused_not_defaulted() {
        let mut v: serde_json::Value = serde_json::to_value(obs("ais-1", 1)).unwrap();
        v.as_object_mut().unwrap().remove("label");
        let e = decode_observation(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(e.to_string().contains("label"), "{e}");
        v["label"] = serde_json::Value::Null;
        assert!(decode_observation(&serde_json::to_vec(&v).unwrap()).is_err());
        v["label"] = serde_json::json!({"level": "NO SUCH LEVEL"});
        assert!(decode_observation(&serde_json::to_vec(&v).unwrap()).is_err());

        let mut a = serde_json::to_value(PictureMsg {
            audience: "USA-SECRET".into(),
            epoch: 1,
            time_ms: 1,
            generation: 1,
            obs_seq: 1,
            part: 0,
            last: true,
            first_seq: 0,
            tracks: vec![],
        })
        .unwrap();
        assert!(decode_picture(&serde_json::to_vec(&a).unwrap()).is_ok());
        a["tracks"] = serde_json::json!([{"id": 1}]);
        assert!(decode_picture(&serde_json::to_vec(&a).unwrap()).is_err());
        let mut d = serde_json::to_value(PictureDelta {
            audience: "USA-SECRET".into(),
            epoch: 1,
            base: 1,
            generation: 2,
            time_ms: 1,
            obs_seq: 1,
            upserts: vec![],
            removed: vec![3],
        })
        .unwrap();
        assert!(decode_delta(&serde_json::to_vec(&d).unwrap()).is_ok());
        d["upserts"] = serde_json::json!([{"id": 1}]);
        assert!(decode_delta(&serde_json::to_vec(&d).unwrap()).is_err());
    }

    #[test]
    fn decoding_garbage_is_an_error_not_a_panic() {
        for b in [
            &b""[..],
            b"{",
            b"null",
            b"[]",
            &[0xff, 0xfe, 0x00],
            b"{\"label\":1}",
        ] {
            assert!(decode_observation(b).is_err());
            assert!(decode_picture(b).is_err());
            assert!(decode_delta(b).is_err());
            assert!(decode_alert(b).is_err());
        }
    }
}
