//! Releasability on the bus: the NATS server's account and users, each with the subjects its
//! role may publish and subscribe — and nothing else (a user with an allow list is denied
//! every subject the list does not name). The server enforces it, so a partner's edge node
//! cannot subscribe to another audience's pictures whatever its code does; the egress guard
//! still decides every item at the edge.
//!
//! JetStream is requests on `$JS.API.…` whose replies come to the requester's inbox: each user
//! gets its own inbox prefix `_INBOX_<user>` (the client is told it in [`crate::Bus::connect`])
//! and may subscribe only there, so it cannot read replies meant for another user.

use crate::subject::{
    check_token, AudienceKey, SubjectError, LEASE_BUCKET, OBS_STREAM, OBS_SUBJECTS, SNAPSHOT_BUCKET,
};

/// What a user is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Publishes observations (`biac.obs.>`) only.
    Ingest,
    /// Consumes `OBS`, holds leases and snapshots, publishes these audiences' pictures and
    /// alerts. A fusion node reads every observation (it filters per audience itself), so
    /// it is trusted with all inputs; what it may *publish* is what is scoped.
    Fusion(Vec<AudienceKey>),
    /// Reads one audience's pictures and alerts.
    Edge(AudienceKey),
    /// Provisions streams and buckets: everything.
    Admin,
}

/// One user of the bus.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub password: String,
    pub role: Role,
}

/// The inbox prefix of `user`: its JetStream replies arrive under `<prefix>.>`.
pub fn inbox_prefix(user: &str) -> String {
    format!("_INBOX_{user}")
}

/// The publish and subscribe allow lists of a role.
pub fn permissions(user: &str, role: &Role) -> (Vec<String>, Vec<String>) {
    let inbox = format!("{}.>", inbox_prefix(user));
    let s = |x: &str| x.to_string();
    match role {
        Role::Admin => (vec![s(">")], vec![s(">")]),
        Role::Ingest => (vec![s(OBS_SUBJECTS)], vec![inbox]),
        Role::Fusion(auds) => {
            let mut publish = Vec::new();
            for a in auds {
                publish.push(a.picture_subject());
                publish.push(a.alert_subject());
                publish.push(a.flush_subject());
            }
            publish.extend(consume_stream(OBS_STREAM));
            let kv = format!("KV_{LEASE_BUCKET}");
            publish.push(format!("$KV.{LEASE_BUCKET}.>"));
            publish.push(format!("$JS.API.STREAM.INFO.{kv}"));
            publish.push(format!("$JS.API.STREAM.MSG.GET.{kv}"));
            publish.push(format!("$JS.API.DIRECT.GET.{kv}.>"));
            let obj = format!("OBJ_{SNAPSHOT_BUCKET}");
            publish.push(format!("$O.{SNAPSHOT_BUCKET}.>"));
            publish.push(format!("$JS.API.STREAM.PURGE.{obj}"));
            publish.push(format!("$JS.API.STREAM.MSG.GET.{obj}"));
            publish.push(format!("$JS.API.DIRECT.GET.{obj}.>"));
            publish.extend(consume_stream(&obj));
            (publish, vec![inbox])
        }
        Role::Edge(a) => {
            let mut publish = consume_stream(&a.picture_stream());
            publish.extend(consume_stream(&a.alert_stream()));
            (publish, vec![a.picture_subject(), a.alert_subject(), inbox])
        }
    }
}

/// The JetStream API subjects that reading `stream` through consumers needs (stream info,
/// message get, consumers created, read, acknowledged and deleted) — on that stream only.
fn consume_stream(stream: &str) -> Vec<String> {
    [
        format!("$JS.API.STREAM.INFO.{stream}"),
        format!("$JS.API.STREAM.MSG.GET.{stream}"),
        format!("$JS.API.DIRECT.GET.{stream}.>"),
        format!("$JS.API.CONSUMER.CREATE.{stream}"),
        format!("$JS.API.CONSUMER.CREATE.{stream}.>"),
        format!("$JS.API.CONSUMER.INFO.{stream}.>"),
        format!("$JS.API.CONSUMER.DELETE.{stream}.>"),
        format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.>"),
        format!("$JS.ACK.{stream}.>"),
    ]
    .into()
}

/// Whether `password` is what the NATS server takes for a bcrypt hash (`$2a$`, `$2b$`, `$2x$`
/// or `$2y$`, a two-digit cost, `$`): the server then compares against it as a hash.
pub fn is_bcrypt(password: &str) -> bool {
    let b = password.as_bytes();
    b.len() > 7
        && b.starts_with(b"$2")
        && matches!(b[2], b'a' | b'b' | b'x' | b'y')
        && b[3] == b'$'
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
        && b[6] == b'$'
}

/// `users` with every clear-text password replaced by its bcrypt hash at `cost` (4–31),
/// which the server accepts in its place: the accounts file every server node holds then
/// carries no password a reader could connect with. A password that already is a hash is
/// kept.
pub fn with_hashed_passwords(users: &[User], cost: u32) -> Result<Vec<User>, bcrypt::BcryptError> {
    users
        .iter()
        .map(|u| {
            let password = if is_bcrypt(&u.password) {
                u.password.clone()
            } else {
                bcrypt::hash(&u.password, cost)?
            };
            Ok(User {
                password,
                ..u.clone()
            })
        })
        .collect()
}

/// The server config block with one JetStream account `BIAC` holding `users`, for every
/// node of the cluster (insert it into each node's config). Passwords are written as given:
/// hash them first ([`with_hashed_passwords`]) for a file that holds none in clear.
pub fn accounts_config(users: &[User]) -> Result<String, SubjectError> {
    let q = |s: &str| serde_json::to_string(s).expect("a string serialises");
    let list = |v: &[String]| v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ");
    let mut out = String::from("accounts {\n  BIAC {\n    jetstream: enabled\n    users: [\n");
    for u in users {
        check_token("user", &u.name)?;
        let (publish, subscribe) = permissions(&u.name, &u.role);
        out.push_str(&format!(
            "      {{ user: {}, password: {}, permissions: {{ publish: {{ allow: [{}] }}, subscribe: {{ allow: [{}] }} }} }}\n",
            q(&u.name),
            q(&u.password),
            list(&publish),
            list(&subscribe)
        ));
    }
    out.push_str("    ]\n  }\n}\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hashed_once_and_verify() {
        let users = vec![
            User {
                name: "edge".into(),
                password: "s3cret".into(),
                role: Role::Admin,
            },
            User {
                name: "ingest".into(),
                password: bcrypt::hash("given", 4).unwrap(),
                role: Role::Ingest,
            },
        ];
        let hashed = with_hashed_passwords(&users, 4).unwrap();
        assert!(is_bcrypt(&hashed[0].password), "{}", hashed[0].password);
        assert!(bcrypt::verify("s3cret", &hashed[0].password).unwrap());
        assert_eq!(hashed[1].password, users[1].password, "a hash is kept");
        assert!(!accounts_config(&hashed).unwrap().contains("s3cret"));
        assert!(!is_bcrypt("$2a$4$short") && !is_bcrypt("plain") && !is_bcrypt("$2c$10$x"));
    }

    #[test]
    fn an_edge_names_only_its_audience_and_its_inbox() {
        let aus = AudienceKey::new("AUS-SECRET").unwrap();
        let (publish, subscribe) = permissions("edge-aus", &Role::Edge(aus));
        assert_eq!(
            subscribe,
            [
                "biac.pic.AUS-SECRET.*",
                "biac.alert.AUS-SECRET",
                "_INBOX_edge-aus.>"
            ]
        );
        assert!(publish
            .iter()
            .all(|s| s.contains("PIC_AUS-SECRET") || s.contains("ALERT_AUS-SECRET")));
        let (publish, subscribe) = permissions("ingest", &Role::Ingest);
        assert_eq!(publish, ["biac.obs.>"]);
        assert_eq!(subscribe, ["_INBOX_ingest.>"]);
    }

    #[test]
    fn a_user_name_that_is_not_a_token_is_refused() {
        let u = User {
            name: "a.>".into(),
            password: "p".into(),
            role: Role::Ingest,
        };
        assert!(accounts_config(&[u]).is_err());
    }
}
