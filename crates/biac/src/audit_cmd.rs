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
    /// the key the witness pinned (with --witness), else DIR/audit/key.pub if there is
    /// one (a log written with its key beside it, which shows only self-consistency).
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
    /// The witness directory the server published its checkpoints to: the log must
    /// extend what it saw (no witnessed entry changed, no checkpoint removed).
    #[arg(long, value_name = "DIR")]
    witness: Option<PathBuf>,
}

#[derive(clap::Args)]
struct VerifyArgs {
    #[command(flatten)]
    log: LogArgs,
    /// Pass although entries follow the last checkpoint (unsealed: a crash before the
    /// next checkpoint, or entries appended without the key) or no checkpoint exists.
    #[arg(long)]
    allow_unsealed: bool,
    /// Kept for older scripts: unsealed entries fail by default now.
    #[arg(long, hide = true)]
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

/// The witness `biac serve` uses by default for `data_dir`: `DIR.audit-witness`.
fn default_witness(data_dir: &Path) -> Option<PathBuf> {
    let data = std::fs::canonicalize(data_dir).ok()?;
    let name = data.file_name()?.to_string_lossy().into_owned();
    let w = data.with_file_name(format!("{name}.audit-witness"));
    w.join(biac_audit::PUBLIC_KEY_FILE).is_file().then_some(w)
}

fn open(a: &mut LogArgs) -> Result<(PathBuf, VerifyingKey), String> {
    let dir = biac_audit::audit_dir(&a.data_dir);
    if !dir.join(biac_audit::LOG_FILE).is_file() {
        return Err(format!("no audit log at {}", dir.display()));
    }
    if a.public_key.is_none() && a.witness.is_none() {
        a.witness = default_witness(&a.data_dir);
        if let Some(w) = &a.witness {
            eprintln!(
                "biac: note: verifying against the witness {} (the default beside the data \
                 directory); pass --witness for one kept elsewhere",
                w.display()
            );
        }
    }
    let key = match (&a.public_key, &a.witness) {
        (Some(p), _) => biac_audit::read_public_key(p).map_err(|e| e.to_string())?,
        (None, Some(w)) => biac_audit::Witness::pinned_key(w).map_err(|e| e.to_string())?,
        (None, None) => {
            let beside = dir.join(biac_audit::PUBLIC_KEY_FILE);
            if !beside.is_file() {
                return Err(format!(
                    "no verifier key: pass --witness DIR (the server's witness) or \
                     --public-key FILE (its audit.key.pub, obtained out of band); {} has none",
                    dir.display()
                ));
            }
            eprintln!(
                "biac: note: verifying with {}, the key stored beside the log; pass --witness \
                 or --public-key with a key obtained out of band to rule out a re-keyed log",
                beside.display()
            );
            biac_audit::read_public_key(&beside).map_err(|e| e.to_string())?
        }
    };
    Ok((dir, key))
}

fn fail(dir: &Path, e: impl std::fmt::Display) -> String {
    format!("audit log {} FAILED verification: {e}", dir.display())
}

fn verify(mut a: VerifyArgs) -> Result<(), String> {
    let (dir, key) = open(&mut a.log)?;
    let r = match &a.log.witness {
        Some(w) => biac_audit::verify_with_witness(&dir, &key, w),
        None => biac_audit::verify(&dir, &key),
    }
    .map_err(|e| fail(&dir, e))?;
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
    let _ = a.strict;
    if r.unsealed > 0 {
        let msg = format!(
            "{} entries after the last checkpoint (lines {}..={}) are not sealed by a signature \
             (a crash before the next checkpoint, or entries appended without the key)",
            r.unsealed,
            r.sealed + 1,
            r.entries
        );
        if !a.allow_unsealed {
            return Err(fail(&dir, format!("{msg}; --allow-unsealed accepts them")));
        }
        eprintln!("biac: warning: {msg}");
    }
    Ok(())
}

fn proof(mut a: ProofArgs) -> Result<(), String> {
    let (dir, key) = open(&mut a.log)?;
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
