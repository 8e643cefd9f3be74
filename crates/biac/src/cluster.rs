//! The distributed mode's command-line side: connecting to the bus, the roles' wiring
//! into `biac serve`, and `biac bus` (provision the streams, write the NATS accounts). The
//! roles themselves are in `biac_runtime::cluster` and `biac_runtime::bus_ingest`.

use biac_bus::{AudienceKey, Bus};
use biac_runtime::cluster::key;
use biac_runtime::{Audience, RuntimeConfig};

use crate::bus_ingest::BusArgs;

pub async fn connect(a: &BusArgs) -> Result<Bus, String> {
    if a.nats.is_empty() {
        return Err(format!(
            "--role {:?} needs --nats URL (a server of the bus)",
            a.role
        ));
    }
    let password = match &a.nats_user {
        Some(_) => Some(
            std::env::var("BIAC_NATS_PASSWORD")
                .map_err(|_| "--nats-user needs its password in BIAC_NATS_PASSWORD".to_string())?,
        ),
        None => None,
    };
    let user = a.nats_user.as_deref().zip(password.as_deref());
    Bus::connect(&a.nats, user, None)
        .await
        .map_err(|e| e.to_string())
}

/// `biac serve --role fusion`: until Ctrl-C.
pub async fn run_fusion(
    a: &BusArgs,
    cfg: RuntimeConfig,
    open: Option<biac_runtime::OpenStore>,
) -> Result<(), String> {
    let bus = connect(a).await?;
    let node = a
        .node
        .clone()
        .unwrap_or_else(|| format!("fusion-{}", std::process::id()));
    println!("biac: fusion on nats {}", a.nats.join(","));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    biac_runtime::cluster::run_fusion(bus, node, &a.prefer, cfg, open, shutdown)
        .await
        .map_err(|e| e.to_string())
}

/// `biac serve --role edge`: the pictures to serve.
pub async fn edge_pictures(
    a: &BusArgs,
    audiences: &[Audience],
) -> Result<
    std::collections::BTreeMap<
        Audience,
        tokio::sync::watch::Receiver<std::sync::Arc<biac_runtime::Picture>>,
    >,
    String,
> {
    let bus = connect(a).await?;
    println!("biac: edge on nats {}", a.nats.join(","));
    biac_runtime::cluster::edge_pictures(bus, audiences, &a.prefer)
        .await
        .map_err(|e| e.to_string())
}

/// `biac bus`: set the bus up for a cluster.
#[derive(clap::Args)]
pub struct BusCmdArgs {
    #[command(subcommand)]
    cmd: BusCmd,
}

#[derive(clap::Subcommand)]
enum BusCmd {
    /// Create (or update) the streams, lease bucket and snapshot store for the serve
    /// configuration's audiences (an admin user of the bus).
    Provision {
        #[command(flatten)]
        bus: BusArgs,
        /// The serve configuration (its audiences); the demo's without one.
        #[arg(long)]
        config: Option<std::path::PathBuf>,
        /// Replicas of every stream (3 in a three-node cluster).
        #[arg(long, default_value_t = 3)]
        replicas: usize,
    },
    /// Print the NATS `accounts` block for the users of a JSON file
    /// `[{"name": "...", "password": "...", "role": "ingest" | "admin" |
    /// {"fusion": ["JPN-SECRET", ...]} | {"edge": "AUS-SECRET"}}]`, each password as its
    /// bcrypt hash (one given as a hash is kept): the servers' file holds none in clear.
    Accounts {
        users: std::path::PathBuf,
        /// The bcrypt cost (4–31): each connection's check costs the server 2^cost rounds.
        #[arg(long, default_value_t = 11)]
        bcrypt_cost: u32,
    },
}

pub async fn bus_cmd(a: BusCmdArgs) -> Result<(), String> {
    match a.cmd {
        BusCmd::Provision {
            bus,
            config,
            replicas,
        } => {
            let cfg = crate::serve::load_config(config.as_deref())?;
            let mut keys = Vec::new();
            for s in &cfg.audiences {
                keys.push(key(&Audience::of(s)).map_err(|e| e.to_string())?);
            }
            keys.sort();
            keys.dedup();
            let b = connect(&bus).await?;
            // `retention.journal_s` bounds `OBS` as it bounds the embedded journal.
            let settings = biac_bus::StreamSettings {
                replicas,
                obs_max_age: cfg.retention.journal_s.map(std::time::Duration::from_secs),
                ..Default::default()
            };
            b.provision(&keys, &settings, biac_runtime::cluster::LEASE_TTL)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "biac: bus provisioned (OBS kept {}, {} audiences, replicas {replicas})",
                cfg.retention
                    .journal_s
                    .map_or("forever".to_string(), |s| format!("{s} s")),
                keys.len()
            );
            Ok(())
        }
        BusCmd::Accounts { users, bcrypt_cost } => {
            #[derive(serde::Deserialize)]
            #[serde(rename_all = "lowercase")]
            enum R {
                Ingest,
                Admin,
                Fusion(Vec<String>),
                Edge(String),
            }
            #[derive(serde::Deserialize)]
            struct U {
                name: String,
                password: String,
                role: R,
            }
            let text =
                std::fs::read_to_string(&users).map_err(|e| format!("{}: {e}", users.display()))?;
            let list: Vec<U> =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", users.display()))?;
            let k = |s: String| AudienceKey::new(s).map_err(|e| e.to_string());
            let mut out = Vec::new();
            for u in list {
                let role = match u.role {
                    R::Ingest => biac_bus::perm::Role::Ingest,
                    R::Admin => biac_bus::perm::Role::Admin,
                    R::Fusion(v) => biac_bus::perm::Role::Fusion(
                        v.into_iter().map(k).collect::<Result<_, _>>()?,
                    ),
                    R::Edge(a) => biac_bus::perm::Role::Edge(k(a)?),
                };
                out.push(biac_bus::perm::User {
                    name: u.name,
                    password: u.password,
                    role,
                });
            }
            let out = biac_bus::perm::with_hashed_passwords(&out, bcrypt_cost)
                .map_err(|e| format!("--bcrypt-cost {bcrypt_cost}: {e}"))?;
            print!(
                "{}",
                biac_bus::perm::accounts_config(&out).map_err(|e| e.to_string())?
            );
            Ok(())
        }
    }
}
