//! Cross-check: the native release decision against the Cedar statement of the same rule
//! (`cedar/release.cedar`), on at least a million random (subject, label, action) triples.
//!
//! Batching: one entity store holds N subjects and N labels (random ones and joins of
//! them, so fused products with empty owners and narrowed ORCON originators occur), and
//! every pair is evaluated, each with one action, so the store is built once.
//! `BIAC_CEDAR_N` overrides N (default 1000, i.e. 1,000,000 pairs).

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::time::Instant;

use biac_label::{
    allow_action, policy, Action, CategoryKind, CategorySet, Classification, ControlSet, Holdings,
    Label, LabelSpec, Nation, NationSet, Provenance, Subject,
};
use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression, Schema, ValidationMode, Validator,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const POLICY: &str = include_str!("../cedar/release.cedar");
const SCHEMA: &str = include_str!("../cedar/release.cedarschema");

fn uid(ty: &str, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(
        EntityTypeName::from_str(ty).unwrap(),
        EntityId::from_str(id).unwrap(),
    )
}

fn nations(s: NationSet) -> RestrictedExpression {
    RestrictedExpression::new_set(
        s.iter()
            .map(|n| RestrictedExpression::new_entity_uid(uid("Nation", n.as_str()))),
    )
}

fn strings(v: Vec<&str>) -> RestrictedExpression {
    RestrictedExpression::new_set(
        v.into_iter()
            .map(|s| RestrictedExpression::new_string(s.to_string())),
    )
}

fn random_set(rng: &mut ChaCha8Rng, p: f64) -> NationSet {
    NationSet::of(
        &Nation::ALL
            .iter()
            .copied()
            .filter(|_| rng.random_bool(p))
            .collect::<Vec<_>>(),
    )
}

fn random_label(rng: &mut ChaCha8Rng) -> Label {
    let p = policy::active();
    let owner_n = Nation::ALL[rng.random_range(0..Nation::ALL.len())];
    let owner = NationSet::single(owner_n);
    let mut spec = LabelSpec::new(Classification::ALL[rng.random_range(0..5)], owner);
    let noforn = rng.random_bool(0.15);
    if !noforn && rng.random_bool(0.7) {
        spec.rel_to = random_set(rng, 0.4).union(owner);
    }
    let bits_of = |kind| p.kind_mask(kind).indices().collect::<Vec<_>>();
    let pick = |rng: &mut ChaCha8Rng, idx: &[usize], pr: f64| {
        CategorySet::from_bits(
            idx.iter()
                .filter(|_| rng.random_bool(pr))
                .fold(0, |a, i| a | 1 << i),
        )
    };
    spec.restrictive = pick(rng, &bits_of(CategoryKind::Restrictive), 0.2);
    spec.informative = pick(rng, &bits_of(CategoryKind::Informative), 0.2);
    for _ in 0..rng.random_range(0..3) {
        let c = pick(rng, &bits_of(CategoryKind::Permissive), 0.5);
        if !c.is_empty() {
            spec.permissive.push(c);
        }
    }
    let mut controls = Vec::new();
    for name in ["ORCON", "RELIDO", "DISPLAY ONLY"] {
        if rng.random_bool(0.25) {
            controls.push(name);
        }
    }
    if noforn {
        controls.push("NOFORN");
    }
    spec.controls = ControlSet::parse_names(&controls).unwrap();
    spec.provenance = Provenance::new([format!("src-{}", rng.random_range(0..50))]).unwrap();
    Label::from_spec(spec).unwrap()
}

fn random_subject(rng: &mut ChaCha8Rng) -> Subject {
    let n = policy::active().categories().len();
    let held = (0..n)
        .filter(|_| rng.random_bool(0.5))
        .fold(0u64, |a, i| a | 1 << i);
    Subject::new(
        Nation::ALL[rng.random_range(0..Nation::ALL.len())],
        Classification::ALL[rng.random_range(0..5)],
    )
    .with_holdings(Holdings {
        categories: CategorySet::from_bits(held),
        releasing_official: rng.random_bool(0.3),
    })
}

fn subject_entity(i: usize, s: &Subject) -> Entity {
    let attrs = HashMap::from([
        (
            "nation".to_string(),
            RestrictedExpression::new_entity_uid(uid("Nation", s.nation.as_str())),
        ),
        (
            "clearance".to_string(),
            RestrictedExpression::new_long(s.clearance as i64),
        ),
        (
            "holdings".to_string(),
            strings(s.holdings.categories.names()),
        ),
        (
            "releasing_official".to_string(),
            RestrictedExpression::new_bool(s.holdings.releasing_official),
        ),
    ]);
    Entity::new(uid("Subject", &format!("s{i}")), attrs, HashSet::new()).unwrap()
}

fn record_entity(i: usize, l: &Label) -> Entity {
    let mut attrs = HashMap::from([
        (
            "level".to_string(),
            RestrictedExpression::new_long(l.classification() as i64),
        ),
        ("owner".to_string(), nations(l.owner())),
        ("rel_to".to_string(), nations(l.rel_to_list())),
        ("restrictive".to_string(), strings(l.restrictive().names())),
        ("controls".to_string(), strings(l.controls().names())),
        ("originators".to_string(), nations(l.originators())),
    ]);
    for (k, c) in l.permissive().iter().enumerate() {
        attrs.insert(format!("clause{k}"), strings(c.names()));
    }
    Entity::new(uid("Record", &format!("r{i}")), attrs, HashSet::new()).unwrap()
}

#[test]
fn native_decision_matches_cedar() {
    let n: usize = std::env::var("BIAC_CEDAR_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let schema = Schema::from_cedarschema_str(SCHEMA).unwrap().0;
    let policies = PolicySet::from_str(POLICY).unwrap();
    let v = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
    assert!(
        v.validation_passed(),
        "release.cedar does not validate: {v}"
    );

    let mut rng = ChaCha8Rng::seed_from_u64(0xB1AC);
    let subjects: Vec<Subject> = (0..n).map(|_| random_subject(&mut rng)).collect();
    let mut labels: Vec<Label> = (0..n * 7 / 10).map(|_| random_label(&mut rng)).collect();
    while labels.len() < n {
        let a = rng.random_range(0..labels.len());
        let b = rng.random_range(0..labels.len());
        labels.push(labels[a].join(&labels[b]));
    }
    let nation_entities = Nation::ALL
        .iter()
        .map(|n| Entity::new_no_attrs(uid("Nation", n.as_str()), HashSet::new()));
    let entities = Entities::from_entities(
        nation_entities
            .chain(
                subjects
                    .iter()
                    .enumerate()
                    .map(|(i, s)| subject_entity(i, s)),
            )
            .chain(labels.iter().enumerate().map(|(i, l)| record_entity(i, l))),
        Some(&schema),
    )
    .unwrap();
    let actions: Vec<EntityUid> = Action::ALL
        .iter()
        .map(|a| uid("Action", a.as_str()))
        .collect();
    let subject_uids: Vec<EntityUid> = (0..n).map(|i| uid("Subject", &format!("s{i}"))).collect();
    let record_uids: Vec<EntityUid> = (0..n).map(|i| uid("Record", &format!("r{i}"))).collect();

    let authorizer = Authorizer::new();
    let started = Instant::now();
    let (mut allowed, mut pairs) = (0usize, 0usize);
    for (i, s) in subjects.iter().enumerate() {
        for (j, l) in labels.iter().enumerate() {
            let k = (i + j) % Action::ALL.len();
            let native = allow_action(s, Action::ALL[k], l);
            let req = Request::new(
                subject_uids[i].clone(),
                actions[k].clone(),
                record_uids[j].clone(),
                Context::empty(),
                None,
            )
            .unwrap();
            let resp = authorizer.is_authorized(&req, &policies, &entities);
            assert!(
                resp.diagnostics().errors().next().is_none(),
                "cedar evaluation error for {s:?} {} {l}",
                Action::ALL[k]
            );
            let cedar = resp.decision() == Decision::Allow;
            assert_eq!(
                native,
                cedar,
                "native {native} vs cedar {cedar}: {s:?} {} {l} {l:?}",
                Action::ALL[k]
            );
            allowed += native as usize;
            pairs += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "cedar cross-check: {pairs} pairs, {allowed} allowed, {secs:.1} s ({:.1} µs/pair)",
        secs * 1e6 / pairs as f64
    );
    assert!(pairs >= n * n);
    // Both outcomes must be well represented for the check to mean something.
    assert!(
        allowed > pairs / 100 && allowed < pairs * 99 / 100,
        "{allowed} of {pairs}"
    );
}
