//! The store test suite (biac-store's, the one the SQLite store runs) against
//! PostgreSQL + PostGIS, each test on a throwaway server of its own.

use biac_store::suite::Fixture;
use biac_store_pg::PgStore;
use biac_testkit::pg::PgServer;

struct Pg {
    conninfo: String,
    _server: PgServer,
}

impl Pg {
    fn new() -> Pg {
        let server = PgServer::start();
        Pg {
            conninfo: server.create_database("biac"),
            _server: server,
        }
    }
}

impl Fixture for Pg {
    type S = PgStore;
    fn open(&self) -> PgStore {
        PgStore::connect(&self.conninfo).unwrap()
    }
}

biac_store::storage_suite!(Pg::new());
