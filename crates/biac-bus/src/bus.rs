//! A connection to the bus: provisioning the streams, acknowledged and deduplicated
//! publishing, and reading back.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, context::PublishErrorKind, stream};
use async_nats::ConnectOptions;
use std::sync::Arc;

use biac_model::{Alert, Observation, Track};
use futures_util::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};

use crate::codec::{self, DecodeError};
use crate::picture::{self, Assembled, Assembler, PictureEvent};
use crate::subject::{
    self, AudienceKey, SubjectError, LEASE_BUCKET, MARK_SUBJECTS, OBS_STREAM, OBS_SUBJECTS,
    SNAPSHOT_BUCKET,
};

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error(transparent)]
    Subject(#[from] SubjectError),
    #[error("connecting to {urls}: {msg}")]
    Connect { urls: String, msg: String },
    #[error("{op}: {msg}")]
    Nats { op: &'static str, msg: String },
    #[error("no acknowledgement for {id} within {secs} s (last error: {last})")]
    NotAcknowledged { id: String, secs: u64, last: String },
    #[error("picture for {got} published on {subject}")]
    WrongAudience { got: String, subject: String },
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

fn check_audience(aud: &AudienceKey, got: &str) -> Result<(), BusError> {
    if got == aud.as_str() {
        Ok(())
    } else {
        Err(BusError::WrongAudience {
            got: got.to_string(),
            subject: aud.picture_subject(),
        })
    }
}

fn nats(op: &'static str) -> impl FnOnce(String) -> BusError {
    move |msg| BusError::Nats { op, msg }
}

/// The stable id of a record, sent as `Nats-Msg-Id`: the server stores a message once per id
/// within the stream's duplicate window, so a publish retried after a lost ack is not stored
/// twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordId(String);

impl RecordId {
    /// The record's position in its feed (e.g. the feed's frame sequence): stable across a
    /// retry by construction.
    pub fn feed_seq(feed: &str, seq: u64) -> Self {
        RecordId(format!("{feed}:{seq}"))
    }
    /// The SHA-256 of the observation's encoding, for sources that number nothing: two
    /// identical records within the duplicate window are then one record.
    pub fn content(o: &Observation) -> Self {
        Self::of_payload(&o.feed, &codec::encode_observation(o))
    }
    fn of_payload(feed: &str, payload: &[u8]) -> Self {
        let h = Sha256::digest(payload);
        let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
        RecordId(format!("{feed}:sha256:{hex}"))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One record of the `OBS` stream (as `biac_store::JournalRecord`: mostly observations,
/// moved once each, so not boxed).
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ObsRecord {
    Observation(Observation),
    /// Release this audience's re-ordering buffer (its inputs went quiet).
    FlushAudience(AudienceKey),
}

/// One message read from `OBS`: its stream sequence, the messages stored after it when it
/// was delivered (0: the reader is at the end), and its decoding (a malformed message is an
/// `Err` in place; the reading goes on).
#[derive(Debug)]
pub struct ObsMessage {
    pub seq: u64,
    pub pending: u64,
    pub record: Result<ObsRecord, DecodeError>,
}

fn obs_message(m: &jetstream::Message) -> Result<ObsMessage, BusError> {
    let info = m.info().map_err(|e| nats("message info")(e.to_string()))?;
    let record = match AudienceKey::of_flush_subject(m.subject.as_str()) {
        Some(a) => Ok(ObsRecord::FlushAudience(a)),
        None => codec::decode_observation(&m.payload).map(ObsRecord::Observation),
    };
    Ok(ObsMessage {
        seq: info.stream_sequence,
        pending: info.pending,
        record,
    })
}

/// A batch of records sent whose acknowledgements are awaited with [`InFlight::acked`].
pub struct InFlight {
    bus: Bus,
    pending: Vec<(
        String,
        Vec<u8>,
        RecordId,
        Option<jetstream::context::PublishAckFuture>,
    )>,
}

impl InFlight {
    /// The acks in order; a record whose first send or ack failed is published again alone
    /// with the same id (stored once) until acknowledged or the retry deadline passed.
    pub async fn acked(self) -> Result<Vec<Published>, BusError> {
        let mut out = Vec::with_capacity(self.pending.len());
        for (subject, payload, id, fut) in self.pending {
            let first = match fut {
                Some(f) => f.await.ok(),
                None => None,
            };
            out.push(match first {
                Some(ack) => Published {
                    stream_seq: ack.sequence,
                    duplicate: ack.duplicate,
                },
                None => self.bus.publish_acked(subject, payload, &id).await?,
            });
        }
        Ok(out)
    }
}

/// Where JetStream stored a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    pub stream_seq: u64,
    /// The id was already stored (a retry, or a repeated record): not stored again.
    pub duplicate: bool,
}

/// How the streams are laid out.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    /// Replicas of every stream, bucket and store (3 in a cluster, 1 on one node).
    pub replicas: usize,
    /// How long `Nats-Msg-Id`s are remembered: a retry later than this would be stored again.
    pub duplicate_window: Duration,
    /// Alerts kept per audience.
    pub alerts_kept: i64,
    /// How long `OBS` keeps a record (None: forever). As the embedded journal's retention:
    /// a node taking an audience over replays what is left, so this bounds the takeover;
    /// the archive must copy a record before it goes.
    pub obs_max_age: Option<Duration>,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            replicas: 3,
            duplicate_window: Duration::from_secs(120),
            alerts_kept: 10_000,
            obs_max_age: None,
        }
    }
}

/// The longest pull of a following (ordered) consumer: its idle heartbeat is half of it, and
/// two missed heartbeats make the client recreate the consumer on a live server — about 2 s
/// after its server goes (the client's default, 15 s heartbeats, took over 30 s).
const FOLLOW_EXPIRES: Duration = Duration::from_secs(2);

/// The most an audience's picture stream holds (oldest dropped first; a keyframe interval of
/// deltas at 20,000 track updates a second is ~50 MB).
const PICTURE_STREAM_BYTES: i64 = 256 << 20;

/// How long provisioning waits for a cluster that cannot place streams yet.
const PROVISION_DEADLINE: Duration = Duration::from_secs(30);

/// How long one publish is retried (across reconnects) before it is reported unacknowledged.
const PUBLISH_DEADLINE: Duration = Duration::from_secs(30);

/// A connection to the bus.
#[derive(Clone)]
pub struct Bus {
    client: async_nats::Client,
    js: jetstream::Context,
}

impl Bus {
    /// Connects to any of `urls` (the client moves to another node when its node goes) as
    /// `user`, with the inbox prefix its permissions allow (`_INBOX_<user>`).
    pub async fn connect(
        urls: &[String],
        user: Option<(&str, &str)>,
        events: Option<tokio::sync::mpsc::UnboundedSender<async_nats::Event>>,
    ) -> Result<Bus, BusError> {
        let mut opts = ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            .request_timeout(Some(Duration::from_secs(5)))
            .max_reconnects(None);
        if let Some((u, p)) = user {
            subject::check_token("user", u)?;
            opts = opts
                .user_and_password(u.to_string(), p.to_string())
                .custom_inbox_prefix(crate::perm::inbox_prefix(u));
        }
        if let Some(tx) = events {
            opts = opts.event_callback(move |e| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(e);
                }
            });
        }
        let addrs: Vec<async_nats::ServerAddr> = urls
            .iter()
            .map(|u| u.parse())
            .collect::<Result<_, _>>()
            .map_err(|e: std::io::Error| BusError::Connect {
                urls: urls.join(","),
                msg: e.to_string(),
            })?;
        let client = opts.connect(addrs).await.map_err(|e| BusError::Connect {
            urls: urls.join(","),
            msg: e.to_string(),
        })?;
        let js = jetstream::new(client.clone());
        Ok(Bus { client, js })
    }

    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    /// Creates (or updates) `OBS`, each audience's picture and alert streams, the lease
    /// bucket and the snapshot store. Done once by an admin user; roles only use them.
    /// Every step is idempotent, so the whole is retried for up to 30 s while the cluster
    /// cannot place it yet (a JetStream cluster just started has no leader for a while, and
    /// answers "no suitable peers" or not at all).
    pub async fn provision(
        &self,
        audiences: &[AudienceKey],
        s: &StreamSettings,
        lease_ttl: Duration,
    ) -> Result<(), BusError> {
        let start = Instant::now();
        loop {
            match self.provision_once(audiences, s, lease_ttl).await {
                Err(e) if start.elapsed() < PROVISION_DEADLINE => {
                    tracing::info!(error = %e, "provisioning the bus: retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                done => return done,
            }
        }
    }

    async fn provision_once(
        &self,
        audiences: &[AudienceKey],
        s: &StreamSettings,
        lease_ttl: Duration,
    ) -> Result<(), BusError> {
        let file = |name: String, subjects: Vec<String>| stream::Config {
            name,
            subjects,
            storage: stream::StorageType::File,
            num_replicas: s.replicas,
            duplicate_window: s.duplicate_window,
            ..Default::default()
        };
        let obs = stream::Config {
            max_age: s.obs_max_age.unwrap_or_default(),
            // The server refuses a duplicate window longer than the records are kept.
            duplicate_window: s
                .obs_max_age
                .map_or(s.duplicate_window, |a| a.min(s.duplicate_window)),
            ..file(
                OBS_STREAM.into(),
                vec![OBS_SUBJECTS.into(), MARK_SUBJECTS.into()],
            )
        };
        self.js
            .create_or_update_stream(obs)
            .await
            .map_err(|e| nats("create stream OBS")(e.to_string()))?;
        for a in audiences {
            // Pictures are derived state (a fusion node rebuilds them from `OBS`): in memory,
            // kept long enough to hold the latest keyframe and the deltas after it. Alerts
            // keep a history on file.
            let pic = stream::Config {
                storage: stream::StorageType::Memory,
                max_age: picture::KEYFRAME_EVERY * 3,
                duplicate_window: picture::KEYFRAME_EVERY * 3,
                max_bytes: PICTURE_STREAM_BYTES,
                ..file(a.picture_stream(), vec![a.picture_subject()])
            };
            if self.js.create_or_update_stream(pic.clone()).await.is_err() {
                // A stream of an earlier layout (file, latest only) cannot be updated in
                // place; what it holds is derived, so it is made anew.
                let _ = self.js.delete_stream(a.picture_stream()).await;
                self.js
                    .create_stream(pic)
                    .await
                    .map_err(|e| nats("create picture stream")(e.to_string()))?;
            }
            let alert = stream::Config {
                max_messages: s.alerts_kept,
                ..file(a.alert_stream(), vec![a.alert_subject()])
            };
            self.js
                .create_or_update_stream(alert)
                .await
                .map_err(|e| nats("create alert stream")(e.to_string()))?;
        }
        crate::lease::provision(&self.js, s.replicas, lease_ttl).await?;
        crate::snapshot::provision(&self.js, s.replicas).await?;
        // Created is not yet served: a stream answers (its info, its messages) only once
        // its replicas elected a leader. Done when every one answers, so a node started
        // after provisioning finds them all.
        let mut names = vec![
            OBS_STREAM.to_string(),
            format!("KV_{LEASE_BUCKET}"),
            format!("OBJ_{SNAPSHOT_BUCKET}"),
        ];
        for a in audiences {
            names.extend([a.picture_stream(), a.alert_stream()]);
        }
        for name in names {
            self.stream(&name).await?;
        }
        Ok(())
    }

    /// Publishes `o` on `biac.obs.<feed>` and returns once JetStream has acknowledged it
    /// (stored on a majority of replicas). A failed or unanswered publish is retried with the
    /// same `Nats-Msg-Id` until acknowledged or 30 s have passed, so the record is stored
    /// exactly once however often it was sent.
    pub async fn publish_observation(
        &self,
        o: &Observation,
        id: &RecordId,
    ) -> Result<Published, BusError> {
        let subject = subject::observation_subject(&o.feed)?;
        let payload = codec::encode_observation(o);
        self.publish_acked(subject, payload, id).await
    }

    /// Publishes many observations with their acks in flight together (one round trip for the
    /// batch instead of one per record); each is retried alone if its ack fails. Returns the
    /// acks in order.
    pub async fn publish_observations(
        &self,
        batch: &[(Observation, RecordId)],
    ) -> Result<Vec<Published>, BusError> {
        let mut msgs = Vec::with_capacity(batch.len());
        for (o, id) in batch {
            let subject = subject::observation_subject(&o.feed)?;
            msgs.push((subject, codec::encode_observation(o), id.clone()));
        }
        self.publish_batch(msgs).await
    }

    async fn publish_batch(
        &self,
        msgs: Vec<(String, Vec<u8>, RecordId)>,
    ) -> Result<Vec<Published>, BusError> {
        self.send_batch(msgs).await.acked().await
    }

    /// Sends `batch` (each record's id its content) and returns without waiting for the
    /// acknowledgements: await [`InFlight::acked`] for them. Batches sent one after the other
    /// are stored in that order (one connection), so a publisher may keep several in flight
    /// and acknowledge its own senders as each batch's acks arrive.
    pub async fn send_observations_by_content(
        &self,
        batch: &[Observation],
    ) -> Result<InFlight, BusError> {
        let mut msgs = Vec::with_capacity(batch.len());
        for o in batch {
            let subject = subject::observation_subject(&o.feed)?;
            let payload = codec::encode_observation(o);
            let id = RecordId::of_payload(&o.feed, &payload);
            msgs.push((subject, payload, id));
        }
        Ok(self.send_batch(msgs).await)
    }

    async fn send_batch(&self, msgs: Vec<(String, Vec<u8>, RecordId)>) -> InFlight {
        let mut pending = Vec::with_capacity(msgs.len());
        for (subject, payload, id) in msgs {
            let fut = self
                .js
                .send_publish(
                    subject.clone(),
                    jetstream::message::PublishMessage::build()
                        .payload(payload.clone().into())
                        .message_id(id.as_str()),
                )
                .await
                .ok();
            pending.push((subject, payload, id, fut));
        }
        InFlight {
            bus: self.clone(),
            pending,
        }
    }

    async fn publish_acked(
        &self,
        subject: String,
        payload: Vec<u8>,
        id: &RecordId,
    ) -> Result<Published, BusError> {
        let start = Instant::now();
        let mut backoff = Duration::from_millis(50);
        loop {
            let attempt = async {
                let fut = self
                    .js
                    .send_publish(
                        subject.clone(),
                        jetstream::message::PublishMessage::build()
                            .payload(payload.clone().into())
                            .message_id(id.as_str()),
                    )
                    .await
                    .map_err(|e| (e.kind(), e.to_string()))?;
                fut.await.map_err(|e| (e.kind(), e.to_string()))
            };
            let last = match attempt.await {
                Ok(ack) => {
                    return Ok(Published {
                        stream_seq: ack.sequence,
                        duplicate: ack.duplicate,
                    })
                }
                // A permanent refusal (no stream for the subject, a payload too large) is
                // not retried; everything else (timeouts, a lost connection, a stream
                // without a leader during an election) is.
                Err((PublishErrorKind::MaxPayloadExceeded, msg)) => {
                    return Err(nats("publish")(msg))
                }
                Err((_, msg)) => msg,
            };
            if start.elapsed() + backoff > PUBLISH_DEADLINE {
                return Err(BusError::NotAcknowledged {
                    id: id.as_str().to_string(),
                    secs: PUBLISH_DEADLINE.as_secs(),
                    last,
                });
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(1));
        }
    }

    /// Publishes `aud`'s flush marker into `OBS` (acknowledged). `after` is the last stream
    /// sequence the publisher had read: the id, so that two nodes briefly both holding the
    /// audience store one marker for the same point.
    pub async fn publish_flush(
        &self,
        aud: &AudienceKey,
        after: u64,
    ) -> Result<Published, BusError> {
        let id = RecordId(format!("flush:{aud}:{after}"));
        self.publish_acked(aud.flush_subject(), Vec::new(), &id)
            .await
    }

    async fn stream(&self, name: &str) -> Result<stream::Stream, BusError> {
        self.js
            .get_stream(name)
            .await
            .map_err(|e| nats("get stream")(format!("{name}: {e}")))
    }

    /// The messages of an ordered consumer on `s` (every reader of a stream here reads this
    /// way: the client recreates the consumer where it left off when its server goes, within
    /// about [`FOLLOW_EXPIRES`]).
    async fn ordered(
        s: &stream::Stream,
        deliver_policy: consumer::DeliverPolicy,
        filter_subject: String,
    ) -> Result<
        impl futures_util::Stream<
            Item = Result<async_nats::jetstream::Message, consumer::pull::OrderedError>,
        >,
        BusError,
    > {
        let from = match deliver_policy {
            consumer::DeliverPolicy::ByStartSequence { start_sequence } => start_sequence,
            _ => 0,
        };
        let c = s
            .create_consumer(consumer::pull::OrderedConfig {
                deliver_policy,
                filter_subject,
                max_expires: FOLLOW_EXPIRES,
                ..Default::default()
            })
            .await
            .map_err(|e| nats("create ordered consumer")(e.to_string()))?;
        let msgs = c
            .messages()
            .await
            .map_err(|e| nats("consume stream")(e.to_string()))?;
        // The client recreates an ordered consumer after the last message it delivered —
        // but from the stream's first message when it had delivered none yet (async-nats
        // 0.52): what precedes the start asked for is skipped here, so a follower never
        // sees a record twice or an older picture than the one it started from. Only
        // until the first message passes: from then on the client resumes after it.
        Ok(msgs.try_skip_while(move |m| {
            let before = m.info().is_ok_and(|i| i.stream_sequence < from);
            std::future::ready(Ok(before))
        }))
    }

    /// Reads `OBS` from sequence `from` (1 = the start) on, without end, through an ordered
    /// consumer (the client recreates it where it left off when its server goes). Drop the
    /// stream to stop.
    pub async fn follow_obs(
        &self,
        from: u64,
    ) -> Result<impl futures_util::Stream<Item = Result<ObsMessage, BusError>>, BusError> {
        let start = consumer::DeliverPolicy::ByStartSequence {
            start_sequence: from.max(1),
        };
        let msgs = Self::ordered(&self.stream(OBS_STREAM).await?, start, String::new()).await?;
        Ok(msgs.map(|m| {
            let m = m.map_err(|e| nats("read OBS")(e.to_string()))?;
            obs_message(&m)
        }))
    }

    /// Publishes an audience's whole picture on `biac.pic.<AUD>.key`, in parts (at most
    /// [`picture::PART_TRACKS`] tracks and three quarters of the server's payload limit
    /// each; all acknowledged, in order). Returns part 0's stream sequence.
    pub async fn publish_keyframe(
        &self,
        aud: &AudienceKey,
        head: &picture::Head,
        tracks: &[Arc<Track>],
    ) -> Result<u64, BusError> {
        static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Three quarters of the server's limit: room for headers and protocol.
        let limit = self.client.server_info().max_payload * 3 / 4;
        let id = |part: u32| {
            // Unique per call (a keyframe of an unchanged picture is published again): its
            // retries are deduplicated, a later keyframe is not.
            RecordId(format!(
                "pic:{aud}:{}:{}:{call}:{part}",
                head.epoch, head.generation
            ))
        };
        // Part 0 first (the others name its sequence), then the rest with their acks in
        // flight together.
        let (payload, n) = picture::next_part(aud.as_str(), head, 0, 0, tracks, limit);
        let first_seq = self
            .publish_acked(aud.keyframe_subject(), payload, &id(0))
            .await?
            .stream_seq;
        let mut rest = &tracks[n..];
        let mut msgs = Vec::new();
        let mut part = 1;
        while !rest.is_empty() {
            let (payload, n) = picture::next_part(aud.as_str(), head, part, first_seq, rest, limit);
            msgs.push((aud.keyframe_subject(), payload, id(part)));
            rest = &rest[n..];
            part += 1;
        }
        self.send_batch(msgs).await.acked().await?;
        Ok(first_seq)
    }

    /// Publishes what changed in an audience's picture since generation `base` on
    /// `biac.pic.<AUD>.delta` (acknowledged).
    pub async fn publish_delta(
        &self,
        aud: &AudienceKey,
        head: &picture::Head,
        base: u64,
        upserts: &[Arc<Track>],
        removed: &[u64],
    ) -> Result<u64, BusError> {
        let payload = picture::encode_delta(aud.as_str(), head, base, upserts, removed);
        let id = RecordId(format!("picd:{aud}:{}:{}", head.epoch, head.generation));
        let ack = self
            .publish_acked(aud.delta_subject(), payload, &id)
            .await?;
        Ok(ack.stream_seq)
    }

    /// Publishes one of an audience's alerts on `biac.alert.<AUD>` (acknowledged).
    pub async fn publish_alert(&self, aud: &AudienceKey, a: &Alert) -> Result<u64, BusError> {
        let payload = codec::encode_alert(a);
        let h = Sha256::digest(&payload);
        let hex: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let id = RecordId(format!("alert:{aud}:{hex}"));
        let ack = self
            .publish_acked(aud.alert_subject(), payload, &id)
            .await?;
        Ok(ack.stream_seq)
    }

    /// The last sequence stored in `OBS` (0 when empty).
    pub async fn obs_last_seq(&self) -> Result<u64, BusError> {
        let info = self
            .stream(OBS_STREAM)
            .await?
            .get_info()
            .await
            .map_err(|e| nats("stream info OBS")(e.to_string()))?;
        Ok(info.state.last_sequence)
    }

    /// Reads `OBS` from sequence `from` (1 = the start) up to its last sequence at the time
    /// of the call, through an ordered consumer: each message's stream sequence and its
    /// decoding (a malformed message is an `Err` in place, and the read goes on).
    pub async fn read_observations(
        &self,
        from: u64,
        timeout: Duration,
    ) -> Result<Vec<(u64, Result<Observation, DecodeError>)>, BusError> {
        let last = self.obs_last_seq().await?;
        let mut out = Vec::new();
        if last < from.max(1) {
            return Ok(out);
        }
        let start = consumer::DeliverPolicy::ByStartSequence {
            start_sequence: from.max(1),
        };
        let mut msgs = Self::ordered(&self.stream(OBS_STREAM).await?, start, String::new()).await?;
        let end = tokio::time::Instant::now() + timeout;
        loop {
            let next = tokio::time::timeout_at(end, msgs.next())
                .await
                .map_err(|_| nats("read OBS")(format!("timed out before sequence {last}")))?;
            let Some(m) = next else { break };
            let m = m.map_err(|e| nats("read OBS")(e.to_string()))?;
            let seq = m
                .info()
                .map_err(|e| nats("message info")(e.to_string()))?
                .stream_sequence;
            out.push((seq, codec::decode_observation(&m.payload)));
            if seq >= last {
                break;
            }
        }
        Ok(out)
    }

    /// The audience's pictures from its latest keyframe on (every part of it, then each
    /// delta and keyframe published), through an ordered consumer on `PIC_<AUD>`: JetStream
    /// delivers every one, and the client resumes where it was after its server goes (a core
    /// subscription would lose what is published while it reconnects). Rebuild them with a
    /// [`picture::Assembler`]. A message of another audience is an error in place.
    pub async fn follow_pictures(
        &self,
        aud: &AudienceKey,
    ) -> Result<impl futures_util::Stream<Item = Result<PictureEvent, BusError>>, BusError> {
        let s = self.stream(&aud.picture_stream()).await?;
        let start = match s
            .get_last_raw_message_by_subject(&aud.keyframe_subject())
            .await
        {
            Ok(m) => {
                let p = codec::decode_picture(&m.payload)?;
                check_audience(aud, &p.audience)?;
                consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: if p.part == 0 { m.sequence } else { p.first_seq },
                }
            }
            Err(e) if e.kind() == stream::LastRawMessageErrorKind::NoMessageFound => {
                consumer::DeliverPolicy::All
            }
            Err(e) => return Err(nats("last keyframe")(e.to_string())),
        };
        let msgs = Self::ordered(&s, start, aud.picture_subject()).await?;
        let aud = aud.clone();
        let delta = aud.delta_subject();
        Ok(msgs.map(move |m| {
            let m = m.map_err(|e| nats("read pictures")(e.to_string()))?;
            if m.subject.as_str() == delta {
                let d = codec::decode_delta(&m.payload)?;
                check_audience(&aud, &d.audience)?;
                Ok(PictureEvent::Delta(d))
            } else {
                let p = codec::decode_picture(&m.payload)?;
                check_audience(&aud, &p.audience)?;
                Ok(PictureEvent::Key(p))
            }
        }))
    }

    /// The audience's alerts, its latest `recent` first and then each one published, through
    /// an ordered consumer on `ALERT_<AUD>`.
    pub async fn follow_alerts(
        &self,
        aud: &AudienceKey,
        recent: u64,
    ) -> Result<impl futures_util::Stream<Item = Result<Alert, BusError>>, BusError> {
        let s = self.stream(&aud.alert_stream()).await?;
        let info = s
            .get_info()
            .await
            .map_err(|e| nats("alert stream info")(e.to_string()))?;
        let from = (info.state.last_sequence + 1)
            .saturating_sub(recent)
            .max(info.state.first_sequence)
            .max(1);
        let start = consumer::DeliverPolicy::ByStartSequence {
            start_sequence: from,
        };
        let msgs = Self::ordered(&s, start, String::new()).await?;
        Ok(msgs.map(|m| {
            let m = m.map_err(|e| nats("read alerts")(e.to_string()))?;
            Ok(codec::decode_alert(&m.payload)?)
        }))
    }

    /// Subscribes (core NATS, live) to an audience's pictures and alerts. The server refuses
    /// the subscription of a user whose permissions do not name them: the refusal arrives as
    /// an `Event::ServerError` on the connection, and the subscription receives nothing.
    pub async fn subscribe_audience(
        &self,
        aud: &AudienceKey,
    ) -> Result<(async_nats::Subscriber, async_nats::Subscriber), BusError> {
        let p = self
            .client
            .subscribe(aud.picture_subject())
            .await
            .map_err(|e| nats("subscribe pictures")(e.to_string()))?;
        let a = self
            .client
            .subscribe(aud.alert_subject())
            .await
            .map_err(|e| nats("subscribe alerts")(e.to_string()))?;
        Ok((p, a))
    }

    /// The audience's latest whole picture (what an edge shows when it starts), or None
    /// when none was published. A picture for another audience is refused.
    pub async fn latest_picture(&self, aud: &AudienceKey) -> Result<Option<Assembled>, BusError> {
        let s = self.stream(&aud.picture_stream()).await?;
        match s
            .get_last_raw_message_by_subject(&aud.keyframe_subject())
            .await
        {
            Ok(_) => {}
            Err(e) if e.kind() == stream::LastRawMessageErrorKind::NoMessageFound => {
                return Ok(None)
            }
            Err(e) => return Err(nats("last picture")(e.to_string())),
        }
        let mut events = std::pin::pin!(self.follow_pictures(aud).await?);
        let mut a = Assembler::default();
        let read = async {
            while let Some(e) = events.next().await {
                a.apply(e?);
                if let Some(p) = a.picture() {
                    return Ok(Some(p));
                }
            }
            Ok(None)
        };
        tokio::time::timeout(FOLLOW_EXPIRES * 5, read)
            .await
            .map_err(|_| nats("last picture")("its parts did not arrive".to_string()))?
    }

    /// Flushes what the client buffered.
    pub async fn flush(&self) -> Result<(), BusError> {
        self.client
            .flush()
            .await
            .map_err(|e| nats("flush")(e.to_string()))
    }
}
