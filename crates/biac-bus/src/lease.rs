//! Audience ownership for fusion nodes: one lease per audience in the KV bucket
//! `biac_leases`, whose entries expire `ttl` after their last write (the bucket's max age,
//! kept by the servers' clock, so no two nodes' clocks are compared). Acquiring is `create`
//! (fails while an unexpired entry exists); renewing is a compare-and-set on the revision the
//! holder last wrote, so once the entry expired and another node created it, the old holder's
//! renewal fails and it knows it lost the audience.

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use serde::{Deserialize, Serialize};

use crate::bus::BusError;
use crate::subject::{check_token, AudienceKey, LEASE_BUCKET};

fn nats(op: &'static str, e: impl std::fmt::Display) -> BusError {
    BusError::Nats {
        op,
        msg: e.to_string(),
    }
}

pub(crate) async fn provision(
    js: &jetstream::Context,
    replicas: usize,
    ttl: Duration,
) -> Result<(), BusError> {
    js.create_or_update_key_value(kv::Config {
        bucket: LEASE_BUCKET.into(),
        history: 1,
        max_age: ttl,
        num_replicas: replicas,
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(|e| nats("create lease bucket", e))?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Holder {
    node: String,
}

/// A lease held: valid until `ttl` after its last successful write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub audience: AudienceKey,
    pub node: String,
    /// The KV revision this holder wrote last; the next renewal must find it still there.
    pub revision: u64,
}

/// The lease bucket.
pub struct Leases {
    kv: kv::Store,
}

impl Leases {
    pub async fn open(bus: &crate::Bus) -> Result<Leases, BusError> {
        let kv = bus
            .jetstream()
            .get_key_value(LEASE_BUCKET)
            .await
            .map_err(|e| nats("open lease bucket", e))?;
        Ok(Leases { kv })
    }

    /// Takes `audience` for `node` if no one holds it (or `node` itself does, e.g. after a
    /// restart); None while another node's lease is unexpired.
    pub async fn acquire(
        &self,
        audience: &AudienceKey,
        node: &str,
    ) -> Result<Option<Lease>, BusError> {
        check_token("node", node)?;
        let value = serde_json::to_vec(&Holder {
            node: node.to_string(),
        })
        .expect("a holder serialises");
        match self.kv.create(audience.as_str(), value.into()).await {
            Ok(revision) => {
                return Ok(Some(Lease {
                    audience: audience.clone(),
                    node: node.to_string(),
                    revision,
                }))
            }
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {}
            Err(e) => return Err(nats("acquire lease", e)),
        }
        // Held: by this node already? Then carry on with its revision.
        let Some(entry) = self
            .kv
            .entry(audience.as_str())
            .await
            .map_err(|e| nats("read lease", e))?
        else {
            return Ok(None);
        };
        if entry.operation != kv::Operation::Put {
            return Ok(None);
        }
        match serde_json::from_slice::<Holder>(&entry.value) {
            Ok(h) if h.node == node => {
                let mut lease = Lease {
                    audience: audience.clone(),
                    node: node.to_string(),
                    revision: entry.revision,
                };
                Ok(self.renew(&mut lease).await?.then_some(lease))
            }
            _ => Ok(None),
        }
    }

    /// Extends the lease by another `ttl`; false when it was lost (it expired and another
    /// node took it, or it was released): the holder must stop publishing for the audience.
    pub async fn renew(&self, lease: &mut Lease) -> Result<bool, BusError> {
        let value = serde_json::to_vec(&Holder {
            node: lease.node.clone(),
        })
        .expect("a holder serialises");
        match self
            .kv
            .update(lease.audience.as_str(), value.into(), lease.revision)
            .await
        {
            Ok(revision) => {
                lease.revision = revision;
                Ok(true)
            }
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(false),
            Err(e) => Err(nats("renew lease", e)),
        }
    }

    /// Gives the audience up at once (a clean shutdown), if still held by this lease.
    pub async fn release(&self, lease: Lease) -> Result<(), BusError> {
        match self
            .kv
            .delete_expect_revision(lease.audience.as_str(), Some(lease.revision))
            .await
        {
            Ok(()) => Ok(()),
            // Already lost: nothing to give up.
            Err(e) if e.to_string().contains("wrong last sequence") => Ok(()),
            Err(e) => Err(nats("release lease", e)),
        }
    }

    /// The node holding `audience`, if any.
    pub async fn holder(&self, audience: &AudienceKey) -> Result<Option<String>, BusError> {
        let e = self
            .kv
            .entry(audience.as_str())
            .await
            .map_err(|e| nats("read lease", e))?;
        Ok(e.filter(|e| e.operation == kv::Operation::Put)
            .and_then(|e| serde_json::from_slice::<Holder>(&e.value).ok())
            .map(|h| h.node))
    }
}
