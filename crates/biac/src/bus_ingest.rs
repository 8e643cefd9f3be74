//! `biac serve --role ...`: what one process of the distributed mode does, and its bus.
//! The ingest node decodes, labels and publishes the feeds' observations (TCP, UDP and
//! HTTP ingest, acknowledged once JetStream has them) to NATS JetStream (`biac-bus`)
//! instead of the embedded journal; fusion and edge nodes are in `cluster.rs`.

/// What one `biac` process does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Everything in one process on the embedded store (the default).
    All,
    /// Decode, label and publish the feeds' observations to the bus (with HTTP ingest).
    Ingest,
    /// Fuse the audiences whose leases this node holds, from the bus; publish their
    /// pictures and alerts (no HTTP).
    Fusion,
    /// Serve the API, page, WebSocket and CoT from the pictures on the bus.
    Edge,
}

#[derive(clap::Args)]
pub struct BusArgs {
    /// What this process does: `all` (the embedded mode), `ingest`, `fusion` or `edge`.
    #[arg(long, value_enum, default_value = "all")]
    pub role: Role,
    /// A NATS server of the bus (repeat for several nodes of the cluster).
    #[arg(long = "nats", value_name = "URL")]
    pub nats: Vec<String>,
    /// The bus user; its password is read from `BIAC_NATS_PASSWORD` (never an argument,
    /// which other local users can read from the process table).
    #[arg(long)]
    pub nats_user: Option<String>,
    /// Fusion: the audiences (keys, e.g. `JPN-SECRET`) this node takes first; it adopts
    /// the others only when no node has held them for a while. Edge: the audiences it
    /// serves. Default: all of the configuration's.
    #[arg(long = "audiences", value_delimiter = ',')]
    pub prefer: Vec<String>,
    /// The node's name in the leases (default `fusion-<pid>`).
    #[arg(long)]
    pub node: Option<String>,
}
