//! `biac bus accounts` writes each user's password as its bcrypt hash: the accounts file
//! every NATS server node holds carries no password a reader of it could connect with, and
//! the servers still admit each user with its own password (and refuse any other).

mod common;

use biac_bus::Bus;
use biac_testkit::nats::NatsCluster;

#[test]
fn the_accounts_file_holds_bcrypt_hashes_that_the_server_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.json");
    std::fs::write(
        &users,
        serde_json::json!([
            {"name": "admin", "password": "adm-Xq7-clear", "role": "admin"},
            {"name": "edge-aus", "password": "edge-Zt4-clear", "role": {"edge": "AUS-SECRET"}}
        ])
        .to_string(),
    )
    .unwrap();
    let out = std::process::Command::new(common::bin())
        .args(["bus", "accounts"])
        .arg(&users)
        .args(["--bcrypt-cost", "4"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let accounts = String::from_utf8(out.stdout).unwrap();
    assert!(
        !accounts.contains("adm-Xq7-clear") && !accounts.contains("edge-Zt4-clear"),
        "a password in clear: {accounts}"
    );
    assert_eq!(accounts.matches("\"$2b$04$").count(), 2, "{accounts}");

    let cluster = NatsCluster::start(3, &accounts);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ok = Bus::connect(&cluster.urls(), Some(("admin", "adm-Xq7-clear")), None).await;
        assert!(ok.is_ok(), "the admin's own password: {:?}", ok.err());
        let ok = Bus::connect(&cluster.urls(), Some(("edge-aus", "edge-Zt4-clear")), None).await;
        assert!(ok.is_ok(), "the edge's own password: {:?}", ok.err());
        // Neither another user's password nor the hash itself (as read from the file) is one.
        let hash = accounts
            .split('"')
            .find(|s| s.starts_with("$2b$04$"))
            .unwrap()
            .to_string();
        for (user, password) in [("edge-aus", "adm-Xq7-clear"), ("admin", hash.as_str())] {
            let refused = Bus::connect(&cluster.urls(), Some((user, password)), None).await;
            assert!(refused.is_err(), "{user} admitted with {password:?}");
        }
    });
    // A cost out of bcrypt's range is refused, naming the flag.
    let out = std::process::Command::new(common::bin())
        .args(["bus", "accounts"])
        .arg(&users)
        .args(["--bcrypt-cost", "3"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bcrypt-cost 3"));
}
