//! The distributed bus on NATS JetStream: the only crate that knows NATS.
//!
//! - [`subject`]: the subjects and streams — observations `biac.obs.<feed>` in stream `OBS`
//!   (replicated, file storage, a duplicate window); per audience `biac.pic.<AUD>.key|delta`
//!   in stream `PIC_<AUD>` (recent pictures, in memory: derived state the fusion node rebuilds
//!   from `OBS`) and `biac.alert.<AUD>` in `ALERT_<AUD>`. A stream per audience, so a user's
//!   JetStream API permissions name its audience's streams only.
//! - [`picture`]: pictures as keyframes (in parts) and deltas of the tracks that changed, and
//!   the reader that rebuilds them.
//! - [`codec`]: messages are JSON of the model's labelled types; a message without a label is
//!   refused at decode (the types have no default label), never defaulted.
//! - [`Bus`]: a connection; `publish_observation` returns only after JetStream acknowledged
//!   the write, with `Nats-Msg-Id` = the record's stable id, so a retried publish is stored once.
//! - [`perm`]: the server's accounts/users config with subject permissions per role (ingest,
//!   fusion for some audiences, edge for one audience, admin).
//! - [`lease`]: audience ownership — a KV bucket whose entries expire `ttl` after their last
//!   write; acquire = create, renew = compare-and-set on the revision.
//! - [`snapshot`]: a fusion snapshot per audience in the object store, with the `OBS` stream
//!   sequence it covers, so a successor restores it and replays `OBS` after that sequence.

pub mod codec;
pub mod lease;
pub mod perm;
pub mod picture;
pub mod snapshot;
pub mod subject;

mod bus;

pub use bus::{
    Bus, BusError, InFlight, ObsMessage, ObsRecord, Published, RecordId, StreamSettings,
};
pub use subject::{AudienceKey, SubjectError};
