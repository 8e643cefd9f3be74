//! `GET /api/v1/openapi.json`: the hand-written OpenAPI 3.1 description of the API,
//! embedded at build time. Open (no token): it describes the API, it discloses no
//! labelled data. A test keeps it and [`crate::authz::ROUTES`] in step.

use axum::http::header;
use axum::response::{IntoResponse, Response};

pub const DOCUMENT: &str = include_str!("../openapi.json");

pub(crate) async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT).into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::authz::{access, Access, ROUTES};

    #[test]
    fn every_route_is_documented_and_every_documented_route_exists() {
        let doc: serde_json::Value = serde_json::from_str(super::DOCUMENT).expect("valid JSON");
        assert_eq!(doc["openapi"], "3.1.0");
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "post", "put", "delete", "patch", "head", "options"]
                    .contains(&method.as_str())
                {
                    documented.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        let routed: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        assert_eq!(routed.len(), ROUTES.len(), "no duplicate routes");
        assert_eq!(routed, documented);
    }

    /// Every route has an access rule, and the document says a route is open
    /// (`security: []`) exactly when the rule is public.
    #[test]
    fn access_rules_cover_every_route_and_match_the_document() {
        let doc: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
        for (m, p) in ROUTES {
            let rule = access(m, p).unwrap_or_else(|| panic!("{m} {p} has no access rule"));
            let op = &doc["paths"][p][m.to_lowercase()];
            let open = op["security"].as_array().is_some_and(|a| a.is_empty());
            assert_eq!(open, rule == Access::Public, "{m} {p}: {rule:?}");
        }
    }

    #[test]
    fn path_parameters_are_declared_and_references_resolve() {
        let doc: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            let names: Vec<&str> = path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            for op in item.as_object().unwrap().values() {
                for n in &names {
                    let declared = op["parameters"]
                        .as_array()
                        .is_some_and(|ps| ps.iter().any(|p| p["name"] == *n && p["in"] == "path"));
                    assert!(declared, "{path}: path parameter {n} undeclared");
                }
            }
        }
        // Every $ref points at something that exists.
        fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(r) = m.get("$ref").and_then(|r| r.as_str()) {
                        out.push(r.to_string());
                    }
                    m.values().for_each(|v| refs(v, out));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let ptr = r.strip_prefix('#').expect("local reference");
            assert!(doc.pointer(ptr).is_some(), "dangling {r}");
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }
}
