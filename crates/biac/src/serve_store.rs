//! `store` in the serve configuration: where the journal, history, alerts and
//! acknowledgements live. `"sqlite"` (the default): the embedded store in the data
//! directory. `{"postgres": "host=/run/postgresql dbname=biac"}`: a PostgreSQL + PostGIS
//! database (libpq connection string, no TLS: a unix socket or loopback), shared by
//! every node pointed at it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use biac_runtime::OpenStore;
use biac_store::{Storage, Store, StoreError, SyncPolicy};
use biac_store_pg::PgStore;
use serde::Deserialize;

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum StoreChoice {
    #[default]
    Sqlite,
    Postgres(String),
}

type Boxed = Box<dyn Storage + Send>;

impl StoreChoice {
    /// The runtime's journal and history connections (`None`: SQLite in the data dir).
    pub fn runtime(&self) -> Option<OpenStore> {
        match self {
            StoreChoice::Sqlite => None,
            StoreChoice::Postgres(conninfo) => {
                let conninfo = conninfo.clone();
                Some(Arc::new(move || {
                    Ok(Box::new(PgStore::connect(&conninfo)?) as Boxed)
                }))
            }
        }
    }

    /// A connection for the retention thread (opened on that thread).
    pub fn retention(
        &self,
        data_dir: PathBuf,
    ) -> impl FnOnce() -> Result<Boxed, StoreError> + Send + 'static {
        let choice = self.clone();
        move || choice.open(&data_dir)
    }

    /// A connection for the HTTP server. Blocking (the PostgreSQL client runs its own
    /// executor): call it off the async executor.
    pub fn open(&self, data_dir: &Path) -> Result<Boxed, StoreError> {
        Ok(match self {
            StoreChoice::Sqlite => Box::new(Store::open(data_dir, SyncPolicy::Normal)?),
            StoreChoice::Postgres(conninfo) => Box::new(PgStore::connect(conninfo)?),
        })
    }

    /// The startup line, e.g. `store: PostgreSQL (host=/run/postgresql dbname=biac)`.
    pub fn describe(&self, data_dir: &Path) -> String {
        match self {
            StoreChoice::Sqlite => format!("store: SQLite in {}", data_dir.display()),
            StoreChoice::Postgres(c) => format!("store: PostgreSQL ({c})"),
        }
    }
}
