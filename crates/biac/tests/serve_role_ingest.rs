//! `biac serve --role ingest` against a real 3-node NATS cluster: the feed's decoded,
//! labelled observations are in JetStream `OBS`, each once; malformed input is not.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use biac_bus::perm::{accounts_config, Role, User};
use biac_bus::Bus;
use biac_testkit::nats::NatsCluster;

struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_ingest_role_publishes_labelled_observations_to_jetstream() {
    let users = [
        User {
            name: "admin".into(),
            password: "pw-admin".into(),
            role: Role::Admin,
        },
        User {
            name: "ingest".into(),
            password: "pw-ingest".into(),
            role: Role::Ingest,
        },
    ];
    let cluster = NatsCluster::start(3, &accounts_config(&users).unwrap());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let admin = rt.block_on(async {
        let b = Bus::connect(&cluster.urls(), Some(("admin", "pw-admin")), None)
            .await
            .unwrap();
        b.provision(&[], &Default::default(), Duration::from_secs(5))
            .await
            .unwrap();
        b
    });

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("serve.json");
    let public = serde_json::json!({"classification": "UNCLASSIFIED", "owner": ["JPN"]});
    std::fs::write(
        &cfg,
        serde_json::json!({
            "feeds": [{"name": "jpn-ais", "format": "ais", "nation": "JPN",
                       "default_label": public, "listen": "127.0.0.1:0"}],
            "audiences": [{"nation": "JPN", "clearance": "SECRET"}],
        })
        .to_string(),
    )
    .unwrap();
    let mut args = vec![
        "serve".to_string(),
        "--role".into(),
        "ingest".into(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--data-dir".into(),
        dir.path().join("data").to_str().unwrap().into(),
        "--config".into(),
        cfg.to_str().unwrap().into(),
        "--nats-user".into(),
        "ingest".into(),
    ];
    for u in cluster.urls() {
        args.extend(["--nats".to_string(), u]);
    }
    let mut child = Kill(
        Command::new(common::bin())
            .args(&args)
            .env("BIAC_NATS_PASSWORD", "pw-ingest")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn biac"),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut feed: Option<SocketAddr> = None;
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("biac --role ingest did not start within 60 s");
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&"feed") {
            let i = words.iter().position(|w| *w == "on").unwrap();
            feed = Some(words[i + 1].parse().unwrap());
        }
        if line.starts_with("biac: ingest publishing to nats") {
            break;
        }
    }

    // Garbage, then five good position reports of five ships.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut s = TcpStream::connect(feed.expect("a feed line")).unwrap();
    s.write_all(b"\x00\xff garbage\n!AIVDM,1,1,,A,15M67F\r\n")
        .unwrap();
    for k in 0..5u32 {
        let (payload, fill) =
            biac_formats::ais::encode_position_report(&biac_formats::ais::PositionReport {
                msg_type: 1,
                mmsi: 431_999_001 + k,
                nav_status: 0,
                sog_knots: Some(12.0),
                position_accuracy: true,
                lat_deg: 24.5 + k as f64 * 0.01,
                lon_deg: 125.0,
                cog_deg: Some(90.0),
                heading_deg: Some(90),
                second: 0,
            });
        for line in biac_formats::ais::to_sentences(&payload, fill, 'A', 0, Some(("test", now))) {
            s.write_all(line.as_bytes()).unwrap();
            if !line.ends_with('\n') {
                s.write_all(b"\r\n").unwrap();
            }
        }
    }
    s.flush().unwrap();

    biac_testkit::wait_for(30, "five observations in OBS", || {
        rt.block_on(admin.obs_last_seq()).unwrap() >= 5
    });
    std::thread::sleep(Duration::from_millis(500));
    let stored = rt
        .block_on(admin.read_observations(1, Duration::from_secs(10)))
        .unwrap();
    assert_eq!(
        stored.len(),
        5,
        "the five good records, once each, no garbage"
    );
    let mut mmsis: Vec<u32> = stored
        .iter()
        .map(|(_, o)| {
            let o = o.as_ref().expect("decodes with its label");
            assert_eq!(o.feed, "jpn-ais");
            assert_eq!(o.label.marking(), "UNCLASSIFIED");
            o.identity.mmsi.unwrap()
        })
        .collect();
    mmsis.sort();
    assert_eq!(mmsis, (431_999_001..431_999_006).collect::<Vec<_>>());
}
