//! Fusion snapshots: one object per audience in the object store `biac_snapshots`, with the
//! `OBS` stream sequence it covers in its metadata. A node taking an audience over restores
//! the snapshot and replays `OBS` from `covers_seq + 1` — the same deterministic replay the
//! embedded mode does from its journal. The object store (chunked) rather than KV: a
//! snapshot may exceed a message's maximum payload.

use std::collections::HashMap;

use async_nats::jetstream::{self, object_store};
use tokio::io::AsyncReadExt;

use crate::bus::BusError;
use crate::subject::{AudienceKey, SNAPSHOT_BUCKET};

const COVERS: &str = "biac-covers-seq";

fn nats(op: &'static str, e: impl std::fmt::Display) -> BusError {
    BusError::Nats {
        op,
        msg: e.to_string(),
    }
}

pub(crate) async fn provision(js: &jetstream::Context, replicas: usize) -> Result<(), BusError> {
    if js.get_object_store(SNAPSHOT_BUCKET).await.is_ok() {
        return Ok(());
    }
    js.create_object_store(object_store::Config {
        bucket: SNAPSHOT_BUCKET.into(),
        num_replicas: replicas,
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(|e| nats("create snapshot store", e))?;
    Ok(())
}

/// A fusion state and the last `OBS` sequence it includes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub covers_seq: u64,
    pub bytes: Vec<u8>,
}

pub struct Snapshots {
    store: object_store::ObjectStore,
}

impl Snapshots {
    pub async fn open(bus: &crate::Bus) -> Result<Snapshots, BusError> {
        let store = bus
            .jetstream()
            .get_object_store(SNAPSHOT_BUCKET)
            .await
            .map_err(|e| nats("open snapshot store", e))?;
        Ok(Snapshots { store })
    }

    /// Replaces the audience's snapshot (the store swaps in the new object only once all its
    /// chunks are stored, so a reader sees the old one or the new one, never a mix).
    pub async fn put(&self, audience: &AudienceKey, s: &Snapshot) -> Result<(), BusError> {
        let meta = object_store::ObjectMetadata {
            name: audience.as_str().to_string(),
            metadata: HashMap::from([(COVERS.to_string(), s.covers_seq.to_string())]),
            ..Default::default()
        };
        self.store
            .put(meta, &mut s.bytes.as_slice())
            .await
            .map_err(|e| nats("put snapshot", e))?;
        Ok(())
    }

    /// The audience's latest snapshot, or None when there is none.
    pub async fn get(&self, audience: &AudienceKey) -> Result<Option<Snapshot>, BusError> {
        let mut obj = match self.store.get(audience.as_str()).await {
            Ok(o) => o,
            Err(e) if e.kind() == object_store::GetErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(nats("get snapshot", e)),
        };
        let covers_seq = obj
            .info
            .metadata
            .get(COVERS)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| nats("get snapshot", "no covered sequence in its metadata"))?;
        let mut bytes = Vec::with_capacity(obj.info.size);
        obj.read_to_end(&mut bytes)
            .await
            .map_err(|e| nats("read snapshot", e))?;
        Ok(Some(Snapshot { covers_seq, bytes }))
    }
}
