//! What travels on the bus: JSON of the model's labelled types. Every observation, track and
//! alert carries its `Label`, and the model's types give the label no default, so a message
//! without one (or with `null`, or with an invalid one) fails to decode: refused, never
//! defaulted. Decoding never panics on any bytes.

use biac_model::{Alert, Observation, TimeMs, Track};
use serde::{Deserialize, Serialize};

/// One audience's fused picture as published on `biac.pic.<AUD>`: each track with its label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PictureMsg {
    /// The audience key it was fused for (must match the subject's).
    pub audience: String,
    /// Data time of the newest observation fused.
    pub time_ms: TimeMs,
    /// The runtime's picture generation: strictly increases between publications.
    pub generation: u64,
    /// The `OBS` stream sequence of the newest observation fused into it.
    pub obs_seq: u64,
    pub tracks: Vec<Track>,
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
            time_ms: 1,
            generation: 1,
            obs_seq: 1,
            tracks: vec![],
        })
        .unwrap();
        assert!(decode_picture(&serde_json::to_vec(&a).unwrap()).is_ok());
        a["tracks"] = serde_json::json!([{"id": 1}]);
        assert!(decode_picture(&serde_json::to_vec(&a).unwrap()).is_err());
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
            assert!(decode_alert(b).is_err());
        }
    }
}
