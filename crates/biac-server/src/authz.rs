//! Request-level authorization in Cedar: may this principal make this kind of request
//! (query, subscribe, monitor, ingest into a feed)?
//!
//! This gate is coarse and comes first; what a permitted request then discloses is
//! decided record by record by the egress guard. The policy is Cedar text validated
//! against [`SCHEMA`] in strict mode when loaded, so a typo in an attribute or action
//! name stops the server instead of silently denying (or permitting) at run time.
//! Any evaluation error denies.

use std::collections::HashSet;
use std::str::FromStr;

use biac_model::Nation;
use cedar_policy::{
    Authorizer as CedarAuthorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName,
    EntityUid, PolicySet, Request, RestrictedExpression, Schema, ValidationMode, Validator,
};
use serde::{Deserialize, Serialize};

/// The schema every request policy is validated against.
pub const SCHEMA: &str = include_str!("../policy/requests.cedarschema");
/// The default request policy.
pub const DEFAULT_POLICY: &str = include_str!("../policy/requests.cedar");

/// What a user is for; a user holds one or more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Analyst,
    Liaison,
    FeedOperator,
    SecurityOfficer,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Analyst,
        Role::Liaison,
        Role::FeedOperator,
        Role::SecurityOfficer,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Liaison => "liaison",
            Role::FeedOperator => "feed-operator",
            Role::SecurityOfficer => "security-officer",
        }
    }
}

/// The kinds of request, the actions of [`SCHEMA`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestAction {
    Query,
    Subscribe,
    Monitor,
    Ingest,
}

impl RequestAction {
    /// What a request of this kind does with the labelled items it discloses, for the
    /// egress guard: a standing stream subscribes, everything else views.
    pub fn label_action(self) -> biac_label::Action {
        match self {
            RequestAction::Subscribe => biac_label::Action::Subscribe,
            RequestAction::Query | RequestAction::Monitor | RequestAction::Ingest => {
                biac_label::Action::View
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RequestAction::Query => "query",
            RequestAction::Subscribe => "subscribe",
            RequestAction::Monitor => "monitor",
            RequestAction::Ingest => "ingest",
        }
    }
}

/// What a request acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resource {
    Service,
    Feed { name: String, nation: Nation },
}

/// The one who asks, as the policy sees them.
#[derive(Clone, Debug)]
pub struct PrincipalAttrs<'a> {
    pub name: &'a str,
    pub nation: Nation,
    pub clearance: biac_model::Classification,
    pub roles: &'a [Role],
}

/// A validated request policy.
pub struct RequestPolicy {
    schema: Schema,
    policies: PolicySet,
    authorizer: CedarAuthorizer,
}

fn uid(ty: &str, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(
        EntityTypeName::from_str(&format!("Biac::{ty}"))
            .expect("type names in this file are valid"),
        EntityId::new(id),
    )
}

impl RequestPolicy {
    /// Parse and validate `text` (Cedar policy language) against [`SCHEMA`].
    pub fn parse(text: &str) -> Result<RequestPolicy, biac_model::ConfigError> {
        let err = |m: String| biac_model::ConfigError::new("request_policy", m);
        let (schema, _) = Schema::from_cedarschema_str(SCHEMA)
            .map_err(|e| err(format!("request schema: {e}")))?;
        let policies =
            PolicySet::from_str(text).map_err(|e| err(format!("request policy: {e}")))?;
        let v = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if !v.validation_passed() {
            return Err(err(format!("request policy does not validate: {v}")));
        }
        Ok(RequestPolicy {
            schema,
            policies,
            authorizer: CedarAuthorizer::new(),
        })
    }

    /// The embedded default policy.
    pub fn default_policy() -> RequestPolicy {
        RequestPolicy::parse(DEFAULT_POLICY).expect("the embedded request policy validates")
    }

    /// May `p` make a request of kind `action` on `resource`? Errors deny.
    pub fn is_authorized(
        &self,
        p: &PrincipalAttrs<'_>,
        action: RequestAction,
        resource: &Resource,
    ) -> bool {
        let user = uid("User", p.name);
        let roles: HashSet<EntityUid> = p.roles.iter().map(|r| uid("Role", r.as_str())).collect();
        let user_entity = Entity::new(
            user.clone(),
            [
                (
                    "nation".to_string(),
                    RestrictedExpression::new_string(p.nation.as_str().to_string()),
                ),
                (
                    "clearance".to_string(),
                    RestrictedExpression::new_long(p.clearance as i64),
                ),
            ]
            .into(),
            roles.clone(),
        );
        let (resource_uid, resource_entity) = match resource {
            Resource::Service => {
                let u = uid("Service", "api");
                (u.clone(), Ok(Entity::new_no_attrs(u, HashSet::new())))
            }
            Resource::Feed { name, nation } => {
                let u = uid("Feed", name);
                let e = Entity::new(
                    u.clone(),
                    [(
                        "nation".to_string(),
                        RestrictedExpression::new_string(nation.as_str().to_string()),
                    )]
                    .into(),
                    HashSet::new(),
                );
                (u, e)
            }
        };
        let (Ok(user_entity), Ok(resource_entity)) = (user_entity, resource_entity) else {
            return false;
        };
        let entities = Entities::from_entities(
            roles
                .into_iter()
                .map(|r| Entity::new_no_attrs(r, HashSet::new()))
                .chain([user_entity, resource_entity]),
            Some(&self.schema),
        );
        let Ok(entities) = entities else {
            return false;
        };
        let Ok(request) = Request::new(
            user,
            uid("Action", action.as_str()),
            resource_uid,
            Context::empty(),
            Some(&self.schema),
        ) else {
            return false;
        };
        let response = self
            .authorizer
            .is_authorized(&request, &self.policies, &entities);
        response.decision() == Decision::Allow && response.diagnostics().errors().next().is_none()
    }
}

// The route table: which kind of request each API route is.

/// Every API route, `(method, path)`: the router is built from this table and the
/// OpenAPI document is checked against it (`openapi::tests`).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/tracks"),
    ("GET", "/api/v1/tracks/{id}"),
    ("GET", "/api/v1/history"),
    ("GET", "/api/v1/alerts"),
    ("POST", "/api/v1/alerts/ack"),
    ("GET", "/api/v1/feeds"),
    ("POST", "/api/v1/feeds/{feed}/ingest"),
    ("GET", "/api/v1/zones"),
    ("GET", "/api/v1/zones/maritime"),
    ("GET", "/api/v1/ws"),
    ("GET", "/api/v1/metrics"),
    ("POST", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
];

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone (carries no labelled data).
    Public,
    /// Any authenticated principal (acts only on the caller's own credential).
    Authenticated,
    /// An authenticated principal the request policy permits this action.
    Authorized(RequestAction),
}

/// The access rule of each entry of [`ROUTES`] (a test checks every entry has one; the
/// [`Caller`](crate::caller::Caller) extractor looks the matched route up here, so a handler cannot be reached
/// under a weaker rule than its entry's).
pub fn access(method: &str, path: &str) -> Option<Access> {
    use RequestAction::*;
    Some(match (method, path) {
        ("GET", "/api/v1/health") | ("GET", "/api/v1/openapi.json") => Access::Public,
        ("POST", "/api/v1/session") => Access::Public,
        ("DELETE", "/api/v1/session") => Access::Authenticated,
        ("GET", "/api/v1/tracks")
        | ("GET", "/api/v1/tracks/{id}")
        | ("GET", "/api/v1/history")
        | ("GET", "/api/v1/alerts")
        | ("GET", "/api/v1/zones")
        | ("GET", "/api/v1/zones/maritime") => Access::Authorized(Query),
        // Acknowledging is what a reader of the alerts does with them: the same rule,
        // and only for an alert the guard releases to the caller.
        ("POST", "/api/v1/alerts/ack") => Access::Authorized(Query),
        ("GET", "/api/v1/feeds") | ("GET", "/api/v1/metrics") => Access::Authorized(Monitor),
        ("POST", "/api/v1/feeds/{feed}/ingest") => Access::Authorized(Ingest),
        ("GET", "/api/v1/ws") => Access::Authorized(Subscribe),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use biac_model::Classification;

    fn p<'a>(nation: Nation, roles: &'a [Role]) -> PrincipalAttrs<'a> {
        PrincipalAttrs {
            name: "u",
            nation,
            clearance: Classification::Secret,
            roles,
        }
    }

    #[test]
    fn default_policy_by_role() {
        let pol = RequestPolicy::default_policy();
        let s = Resource::Service;
        let jpn_feed = Resource::Feed {
            name: "jpn-ais".into(),
            nation: Nation::JPN,
        };
        use RequestAction::*;
        let analyst = [Role::Analyst];
        assert!(pol.is_authorized(&p(Nation::JPN, &analyst), Query, &s));
        assert!(pol.is_authorized(&p(Nation::JPN, &analyst), Subscribe, &s));
        assert!(pol.is_authorized(&p(Nation::JPN, &analyst), Monitor, &s));
        assert!(!pol.is_authorized(&p(Nation::JPN, &analyst), Ingest, &jpn_feed));
        let liaison = [Role::Liaison];
        assert!(pol.is_authorized(&p(Nation::PHL, &liaison), Query, &s));
        assert!(!pol.is_authorized(&p(Nation::PHL, &liaison), Monitor, &s));
        let op = [Role::FeedOperator];
        assert!(pol.is_authorized(&p(Nation::JPN, &op), Ingest, &jpn_feed));
        assert!(!pol.is_authorized(&p(Nation::USA, &op), Ingest, &jpn_feed));
        assert!(!pol.is_authorized(&p(Nation::JPN, &op), Query, &s));
        let so = [Role::SecurityOfficer];
        assert!(pol.is_authorized(&p(Nation::JPN, &so), Monitor, &s));
        assert!(!pol.is_authorized(&p(Nation::JPN, &so), Subscribe, &s));
        assert!(!pol.is_authorized(&p(Nation::JPN, &[]), Query, &s));
    }

    #[test]
    fn forbid_overrides_any_permit() {
        // A deployment that permits every ingest still cannot ingest in another's name.
        let text = format!(
            "{DEFAULT_POLICY}\npermit (principal, action == Biac::Action::\"ingest\", resource);"
        );
        let pol = RequestPolicy::parse(&text).unwrap();
        let usa_feed = Resource::Feed {
            name: "usa".into(),
            nation: Nation::USA,
        };
        assert!(pol.is_authorized(&p(Nation::USA, &[]), RequestAction::Ingest, &usa_feed));
        assert!(!pol.is_authorized(&p(Nation::JPN, &[]), RequestAction::Ingest, &usa_feed));
    }

    #[test]
    fn invalid_policies_are_refused() {
        for bad in [
            "permit (principal, action == Biac::Action::\"export\", resource);",
            "permit (principal, action, resource) when { principal.rank > 2 };",
            "permit (principal in Biac::Role::\"analyst\", action, resource) when { resource.nation == \"JPN\" };",
            "permit (principal, action, resource",
        ] {
            assert!(RequestPolicy::parse(bad).is_err(), "{bad}");
        }
    }
}
