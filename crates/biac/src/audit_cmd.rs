//! `biac audit verify|proof`: check the tamper-evident audit log (`biac-audit`) offline.

use std::path::{Path, PathBuf};

use biac_audit::{merkle, VerifyingKey};

#[derive(clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(clap::Subcommand)]
enum AuditCommand {
    /// Verify the audit log: every entry, every checkpoint's signature and root. Exits
    /// non-zero, naming the entry, line or checkpoint, if anything was changed.
    Verify(VerifyArgs),
    /// Print the inclusion proof of one entry in the last checkpoint, as JSON.
    Proof(ProofArgs),
}

#[derive(clap::Args)]
struct LogArgs {
    /// The server's data directory; the log is in DIR/audit.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// The log's verifier key (the `key.pub` text form), obtained out of band. Default:
    /// DIR/audit/key.pub, which only shows the log consistent with the key stored beside it.
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
}

#[derive(clap::Args)]
struct VerifyArgs {
    #[command(flatten)]
    log: LogArgs,
    /// Fail also when entries follow the last checkpoint (unsealed entries).
    #[arg(long)]
    strict: bool,
}

#[derive(clap::Args)]
struct ProofArgs {
    #[command(flatten)]
    log: LogArgs,
    /// 0-based index of the entry (its line number in log.jsonl minus one).
    #[arg(long)]
    index: u64,
}

pub fn run(a: AuditArgs) -> Result<(), String> {
    match a.command {
        AuditCommand::Verify(v) => verify(v),
        AuditCommand::Proof(p) => proof(p),
    }
}

fn open(a: &LogArgs) -> Result<(PathBuf, VerifyingKey), String> {
    let dir = biac_audit::audit_dir(&a.data_dir);
    if !dir.join(biac_audit::LOG_FILE).is_file() {
        return Err(format!("no audit log at {}", dir.display()));
    }
    let key_path = a
        .public_key
        .clone()
        .unwrap_or_else(|| dir.join(biac_audit::PUBLIC_KEY_FILE));
    if a.public_key.is_none() {
        eprintln!(
            "biac: note: verifying with {}, the key stored beside the log; pass --public-key \
             with a key obtained out of band to rule out a re-keyed log",
            key_path.display()
        );
    }
    let key = biac_audit::read_public_key(&key_path).map_err(|e| e.to_string())?;
    Ok((dir, key))
}

fn fail(dir: &Path, e: impl std::fmt::Display) -> String {
    format!("audit log {} FAILED verification: {e}", dir.display())
}

fn verify(a: VerifyArgs) -> Result<(), String> {
    let (dir, key) = open(&a.log)?;
    let r = biac_audit::verify(&dir, &key).map_err(|e| fail(&dir, e))?;
    println!(
        "audit log {} OK: {} entries, {} checkpoints, {} sealed, {} unsealed; root {}",
        dir.display(),
        r.entries,
        r.checkpoints,
        r.sealed,
        r.unsealed,
        merkle::to_hex(&r.root)
    );
    if let Some(c) = &r.last_checkpoint {
        println!(
            "last checkpoint: size {} root {} time_ms {}",
            c.size,
            merkle::to_hex(&c.root),
            c.time_ms
        );
    }
    if r.unsealed > 0 {
        let msg = format!(
            "{} entries after the last checkpoint (lines {}..={}) are not sealed by a signature \
             (a crash before the next checkpoint, or entries appended without the key)",
            r.unsealed,
            r.sealed + 1,
            r.entries
        );
        if a.strict {
            return Err(fail(&dir, msg));
        }
        eprintln!("biac: warning: {msg}");
    }
    Ok(())
}

fn proof(a: ProofArgs) -> Result<(), String> {
    let (dir, key) = open(&a.log)?;
    let p = biac_audit::prove_inclusion(&dir, &key, a.index).map_err(|e| match e {
        biac_audit::AuditError::NotSealed { .. } => e.to_string(),
        e => fail(&dir, e),
    })?;
    p.verify(&key)
        .map_err(|e| format!("internal error: the proof does not verify: {e}"))?;
    let json = serde_json::to_string_pretty(&p.to_json(&key)).map_err(|e| e.to_string())?;
    println!("{json}");
    Ok(())
}
