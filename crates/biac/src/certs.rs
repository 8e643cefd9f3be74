//! `biac certs`: a demo PKI — one CA per nation, a server certificate, user certificates.

use std::path::PathBuf;

use biac_model::Nation;
use biac_server::tls::pki;

#[derive(clap::Args)]
pub struct CertsArgs {
    /// Directory to create the PKI in (refused if it already holds one).
    #[arg(long)]
    out: PathBuf,
    /// Nations to create a CA for.
    #[arg(long, value_delimiter = ',', default_value = "JPN,USA,AUS,KOR,PHL")]
    nations: Vec<String>,
    /// Users as NAME:NATION (e.g. `analyst-jpn:JPN,pilot-usa:USA`), each issued by its
    /// nation's CA. Default: `analyst-<nation>` for every nation.
    #[arg(long, value_delimiter = ',')]
    users: Vec<String>,
}

pub fn run(a: CertsArgs) -> Result<(), String> {
    let nations = a
        .nations
        .iter()
        .map(|s| Nation::parse(s.trim()).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let users = if a.users.is_empty() {
        nations
            .iter()
            .map(|n| (pki::default_user(*n), *n))
            .collect()
    } else {
        a.users
            .iter()
            .map(|u| {
                let (name, n) = u
                    .split_once(':')
                    .ok_or_else(|| format!("--users {u:?}: expected NAME:NATION"))?;
                Ok((
                    name.to_string(),
                    Nation::parse(n).map_err(|e| e.to_string())?,
                ))
            })
            .collect::<Result<Vec<_>, String>>()?
    };
    let l = pki::generate(&a.out, &nations, &users).map_err(|e| e.to_string())?;
    println!("demo PKI in {} (keys are mode 0600)", l.dir.display());
    for n in &nations {
        println!("  CA {n}: {}", l.ca_cert(*n).display());
    }
    println!(
        "  server (localhost, 127.0.0.1): {} {}, issued by {}",
        l.server_cert().display(),
        l.server_key().display(),
        l.hub_ca_cert().display()
    );
    for (name, n) in &users {
        println!("  user {name} ({n}): {}", l.user_cert(name).display());
    }
    Ok(())
}
