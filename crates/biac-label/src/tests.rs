use super::*;
use proptest::prelude::*;
use Nation::*;

fn own(n: Nation) -> NationSet {
    NationSet::single(n)
}

fn cats(names: &[&str]) -> CategorySet {
    CategorySet::parse_names(names).unwrap()
}

fn subject(nation: Nation, clearance: Classification, held: &[&str], official: bool) -> Subject {
    Subject::new(nation, clearance).with_holdings(Holdings {
        categories: cats(held),
        releasing_official: official,
    })
}

#[test]
fn embedded_policy_loads() {
    let p = Policy::embedded();
    assert_eq!(p.tag(), "biac-coalition@2026.11");
    assert_eq!(
        p.group("FVEY"),
        Some(NationSet::of(&[USA, GBR, CAN, AUS, NZL]))
    );
    assert_eq!(
        p.level_from_national("JPN", "GOKUHI"),
        Some(Classification::Secret)
    );
    assert_eq!(
        p.level_from_national("JPN", "KIMITSU"),
        Some(Classification::TopSecret)
    );
    assert_eq!(
        p.level_from_national("JPN", "HI"),
        Some(Classification::Confidential)
    );
    assert_eq!(
        p.level_from_national("NATO", "COSMIC TOP SECRET"),
        Some(Classification::TopSecret)
    );
    assert_eq!(
        p.level_from_national("NATO", "NATO RESTRICTED"),
        Some(Classification::Restricted)
    );
    assert_eq!(
        p.level_from_national("KOR", "IGEUP BIMIL"),
        Some(Classification::Secret)
    );
    assert_eq!(
        p.level_from_national("PHL", "RESTRICTED"),
        Some(Classification::Restricted)
    );
    assert_eq!(p.level_from_national("USA", "RESTRICTED"), None);
    assert_eq!(p.level_from_national("JPN", "gokuhi"), None);
    // The file is also loadable from its path.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/policy/biac-policy.json");
    assert_eq!(Policy::from_path(path).unwrap().tag(), p.tag());
    assert!(Policy::from_path("/nonexistent/policy.json").is_err());
    // Installing the active policy again is fine.
    assert!(policy::install(Policy::embedded()).is_ok());
}

#[test]
fn policy_loading_is_strict() {
    let base: serde_json::Value = serde_json::from_str(policy::EMBEDDED_POLICY).unwrap();
    let variant = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = base.clone();
        f(&mut v);
        Policy::from_json(&v.to_string())
    };
    type Mutation = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Mutation)> = vec![
        ("unknown top-level key", Box::new(|v| v["extra"] = 1.into())),
        (
            "unknown key in a category",
            Box::new(|v| v["categories"][0]["colour"] = "red".into()),
        ),
        (
            "levels out of order",
            Box::new(|v| v["levels"].as_array_mut().unwrap().swap(2, 3)),
        ),
        (
            "ranks not increasing",
            Box::new(|v| v["levels"][4]["rank"] = 1.into()),
        ),
        (
            "unknown level",
            Box::new(|v| v["levels"][1]["name"] = "OFFICIAL".into()),
        ),
        (
            "duplicate category",
            Box::new(|v| v["categories"][1]["name"] = "SI".into()),
        ),
        (
            "category named like a control",
            Box::new(|v| v["categories"][0]["name"] = "ORCON".into()),
        ),
        (
            "duplicate nation",
            Box::new(|v| v["nations"][1]["code"] = "AUS".into()),
        ),
        (
            "unknown nation",
            Box::new(|v| v["nations"][1]["code"] = "XXX".into()),
        ),
        (
            "group with unknown member",
            Box::new(|v| v["groups"][0]["members"][0] = "FRA".into()),
        ),
        (
            "lower-case category",
            Box::new(|v| v["categories"][0]["name"] = "si".into()),
        ),
        (
            "non-ASCII control",
            Box::new(|v| v["controls"][0]["name"] = "ORC\u{041E}N".into()),
        ),
        (
            "unknown action",
            Box::new(|v| v["controls"][0]["limits"][0] = "print".into()),
        ),
        (
            "permissive without family",
            Box::new(|v| {
                v["categories"][3].as_object_mut().unwrap().remove("family");
            }),
        ),
        (
            "no NOFORN",
            Box::new(|v| {
                v["controls"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "equivalence to unknown level",
            Box::new(|v| v["equivalences"][0]["levels"][0]["level"] = "SECRETISH".into()),
        ),
        (
            "equivalence levels unordered",
            Box::new(|v| {
                v["equivalences"][1]["levels"]
                    .as_array_mut()
                    .unwrap()
                    .swap(1, 2)
            }),
        ),
        (
            "equivalence of unknown authority",
            Box::new(|v| v["equivalences"][0]["authority"] = "EU".into()),
        ),
    ];
    for (what, f) in cases {
        assert!(variant(&*f).is_err(), "accepted a policy with {what}");
    }
    // Duplicate JSON keys are errors too.
    let dup = policy::EMBEDDED_POLICY.replacen(
        "\"version\": \"2026.11\",",
        "\"version\": \"2026.11\", \"version\": \"2027.1\",",
        1,
    );
    assert!(Policy::from_json(&dup).is_err());
    // A policy with another tag cannot replace the active one.
    let other = variant(&|v| v["version"] = "2027.1".into()).unwrap();
    assert!(matches!(
        policy::install(other),
        Err(PolicyError::AlreadyActive(_))
    ));
}

#[test]
fn marking_round_trip() {
    let l = Label::rel_to(Classification::Secret, JPN, &[USA]);
    assert_eq!(l.marking(), "SECRET//REL TO USA, JPN");
    assert_eq!(Label::parse_marking(&l.marking(), own(JPN)).unwrap(), l);
    let n = Label::parse_marking("CONFIDENTIAL//NOFORN", own(USA)).unwrap();
    assert!(n.noforn());
    assert_eq!(n.releasable_to(), own(USA));
    assert_eq!(n.marking(), "CONFIDENTIAL//NOFORN");
    for m in [
        "SECRET//ORCON//REL TO USA, JPN",
        "SECRET//SI-G//REL TO USA, JPN",
        "TOP SECRET//SI/TK//COI MDA, MW//EXERCISE//ORCON//RELIDO//REL TO USA, AUS, JPN",
        "SECRET//COI MW//COI MDA, ASW//DISPLAY ONLY//REL TO USA, JPN, KOR",
        "RESTRICTED//REL TO USA, PHL",
        "UNCLASSIFIED//EXERCISE",
        "SECRET//ORCON//DISPLAY ONLY//NOFORN",
    ] {
        let l = Label::parse_marking(m, own(USA)).unwrap();
        assert_eq!(l.marking(), m, "round trip of {m}");
    }
    // Groups expand; lists may come in any order.
    let g = Label::parse_marking("SECRET//REL TO FVEY, JPN", own(USA)).unwrap();
    assert_eq!(g.marking(), "SECRET//REL TO USA, AUS, CAN, GBR, JPN, NZL");
    let o = Label::parse_marking("SECRET//TK/SI//REL TO JPN, USA", own(USA)).unwrap();
    assert_eq!(o.marking(), "SECRET//SI/TK//REL TO USA, JPN");
    // Joins of owner-only labels stay owner-only.
    let bare = Label::parse_marking("SECRET", own(USA)).unwrap();
    assert_eq!(
        bare.join(&Label::unclassified_public(JPN)).marking(),
        "SECRET"
    );
}

#[test]
fn unclassified_without_controls_is_public() {
    let p = Label::unclassified_public(JPN);
    assert_eq!(p.marking(), "UNCLASSIFIED");
    assert_eq!(p.releasable_to(), NationSet::ALL);
    assert_eq!(
        p.join(&Label::unclassified_public(USA)).marking(),
        "UNCLASSIFIED"
    );
    let s = Label::rel_to(Classification::Secret, JPN, &[USA]);
    assert_eq!(p.join(&s).marking(), "SECRET//REL TO USA, JPN");
    // A bare classified marking is owner-only.
    let bare = Label::parse_marking("SECRET", own(JPN)).unwrap();
    assert_eq!(bare.releasable_to(), own(JPN));
    // Two UNCLASSIFIED REL TO lists with nobody in common: nobody, not everybody.
    let a = Label::rel_to(Classification::Unclassified, USA, &[JPN]);
    let b = Label::rel_to(Classification::Unclassified, AUS, &[KOR]);
    assert!(a.join(&b).releasable_to().is_empty());
}

#[test]
fn strict_parsing_rejects() {
    let bad = [
        ("secret//REL TO USA, JPN", "'s'"),
        ("SECRET//REL TO USA, jpn", "'j'"),
        ("SECRET//REL TO USA, JPN, XXX", "\"XXX\""),
        ("SECRET//REL TO USA,JPN", "\"USA,JPN\""),
        ("SECRET//NOFORN//REL TO USA", "NOFORN"),
        ("SECRET//REL TO JPN", "USA"), // owner USA missing
        ("SECRET//REL TO USA, \u{0408}PN", "\\u{408}"), // Cyrillic look-alike J
        ("SECRET//REL TO USA, JPN//\u{041E}RCON", "\\u{41e}"), // Cyrillic O
        ("SECRET//REL TO USA, \u{FF2A}PN", "\\u{ff2a}"), // fullwidth J
        ("SECRET//REL TO USA,\u{200B} JPN", "\\u{200b}"), // zero-width space
        ("SECRET\t//NOFORN", "\\u{9}"),
        ("SECRET//ORCONX", "\"ORCONX\""),
        ("SECRET//SI/XX", "\"XX\""),
        ("SECRET//MDA", "COI"),       // permissive outside its clause
        ("SECRET//COI SI", "\"SI\""), // restrictive in a permissive clause
        ("SECRET//SI/EXERCISE", "\"EXERCISE\""), // mixed kinds
        ("SECRET//NOFORN//ORCON", "ORCON"), // controls out of policy order
        ("SECRET//REL TO USA, JPN//ORCON", "ORCON"),
        ("SECRET//ORCON//ORCON", "ORCON"),
        ("SECRET//SI/SI", "\"SI\""),
        ("SECRET//REL TO USA, JPN, USA", "\"USA\""),
        ("SECRET//COI MDA//COI MDA", "COI MDA"),
        ("SECRET//", "SECRET//"),
        ("SECRET//REL TO  USA", ""),
        ("SECRET ", "SECRET "),
        ("SECRET/NOFORN", "SECRET/NOFORN"),
        ("TOP  SECRET", ""),
        ("", ""),
    ];
    for (b, token) in bad {
        match Label::parse_marking(b, own(USA)) {
            Ok(l) => panic!("accepted {b:?} as {l:?}"),
            Err(e) => assert!(
                e.to_string().contains(token),
                "error for {b:?} should name {token}: {e}"
            ),
        }
    }
}

#[test]
fn json_form_is_strict() {
    let ok: Label = serde_json::from_str(
        r#"{"classification":"SECRET","owner":["USA"],"rel_to":["USA","JPN"]}"#,
    )
    .unwrap();
    assert_eq!(ok.marking(), "SECRET//REL TO USA, JPN");
    let full = r#"{"policy":"biac-coalition@2026.11","classification":"TOP_SECRET","owner":["USA"],"rel_to":["JPN","USA"],"noforn":false,"restrictive":["SI"],"permissive":[["MDA","MW"]],"controls":["ORCON"],"originators":["USA"],"provenance":["feed:jcg-ais","feed:p1-radar"]}"#;
    let l: Label = serde_json::from_str(full).unwrap();
    assert_eq!(
        l.marking(),
        "TOP SECRET//SI//COI MDA, MW//ORCON//REL TO USA, JPN"
    );
    assert_eq!(serde_json::to_string(&l).unwrap(), full);
    let back: Label = serde_json::from_str(&serde_json::to_string(&l).unwrap()).unwrap();
    assert_eq!(back, l);
    for bad in [
        r#"{"classification":"SECRET","owner":["USA"],"rel_to":["JPN"]}"#,
        r#"{"classification":"SECRET","owner":["USA"],"rel_to":["USA"],"noforn":true}"#,
        r#"{"classification":"secret","owner":["USA"]}"#,
        r#"{"classification":"SECRET","owner":[]}"#,
        r#"{"classification":"SECRET","owner":["USA"],"extra":1}"#,
        r#"{"policy":"other@1","classification":"SECRET","owner":["USA"]}"#,
        r#"{"policy":"biac-coalition@2025.1","classification":"SECRET","owner":["USA"]}"#,
        r#"{"classification":"SECRET","owner":["USA"],"restrictive":["MDA"]}"#,
        r#"{"classification":"SECRET","owner":["USA"],"restrictive":["SI","SI"]}"#,
        r#"{"classification":"SECRET","owner":["USA"],"permissive":[[]]}"#,
        r#"{"classification":"SECRET","owner":["USA"],"controls":["ORCONX"]}"#,
        r#"{"classification":"SECRET","owner":["USA"],"controls":["NOFORN"],"noforn":true}"#,
        r#"{"classification":"SECRET","owner":["USA"],"originators":["USA"]}"#,
        r#"{"classification":"SECRET","owner":["USA"],"controls":["ORCON"],"originators":["JPN"]}"#,
        r#"{"classification":"SECRET","owner":["USA"],"provenance":["bad id"]}"#,
        r#"{"classification":"SECRET","owner":["USA"],"provenance":["a","a"]}"#,
        r#"{"classification":"SECRET","owner":["U\u0405A"]}"#,
    ] {
        assert!(
            serde_json::from_str::<Label>(bad).is_err(),
            "accepted {bad}"
        );
    }
}

#[test]
fn allow_checks_level_and_nation() {
    let l = Label::rel_to(Classification::Secret, USA, &[JPN]);
    let s = Subject::new;
    assert!(allow(&s(JPN, Classification::Secret), &l));
    assert!(allow(&s(USA, Classification::TopSecret), &l));
    assert!(!allow(&s(AUS, Classification::TopSecret), &l));
    assert!(!allow(&s(JPN, Classification::Confidential), &l));
}

#[test]
fn categories_and_controls_decide() {
    use Action::*;
    use Classification::*;
    let m = |s: &str| Label::parse_marking(s, own(USA)).unwrap();
    let si = m("SECRET//SI/TK//REL TO USA, JPN");
    assert!(!allow(&subject(JPN, Secret, &["SI"], false), &si));
    assert!(allow(&subject(JPN, Secret, &["SI", "TK"], false), &si));
    let coi = m("SECRET//COI MDA, MW//COI ASW//REL TO USA, JPN");
    assert!(!allow(&subject(JPN, Secret, &["MDA"], false), &coi));
    assert!(allow(&subject(JPN, Secret, &["MDA", "ASW"], false), &coi));
    assert!(allow(&subject(JPN, Secret, &["MW", "ASW"], false), &coi));
    let ex = m("SECRET//EXERCISE//REL TO USA, JPN");
    assert!(allow(&subject(JPN, Secret, &[], false), &ex)); // informative only

    let display = m("SECRET//DISPLAY ONLY//REL TO USA, JPN");
    let jpn = subject(JPN, Secret, &[], true);
    assert!(allow_action(&jpn, View, &display));
    for a in [Export, Forward, Subscribe] {
        assert!(!allow_action(&jpn, a, &display), "{a}");
        assert!(
            !allow_action(&subject(USA, Secret, &[], true), a, &display),
            "{a}"
        );
    }
    let orcon = m("SECRET//ORCON//REL TO USA, JPN");
    assert!(allow_action(&jpn, View, &orcon));
    assert!(allow_action(&jpn, Subscribe, &orcon));
    assert!(!allow_action(&jpn, Forward, &orcon));
    assert!(!allow_action(&jpn, Export, &orcon));
    assert!(allow_action(
        &subject(USA, Secret, &[], false),
        Forward,
        &orcon
    ));
    let relido = m("SECRET//RELIDO//REL TO USA, JPN");
    assert!(!allow_action(
        &subject(JPN, Secret, &[], false),
        Forward,
        &relido
    ));
    assert!(allow_action(
        &subject(JPN, Secret, &[], true),
        Forward,
        &relido
    ));
    assert!(allow_action(
        &subject(JPN, Secret, &[], false),
        Export,
        &relido
    ));
    // A nation outside the policy is denied even public data.
    assert!(allow(
        &Subject::new(IND, Unclassified),
        &Label::unclassified_public(JPN)
    ));
}

#[test]
fn orcon_originators_survive_the_join() {
    use Classification::*;
    let a = Label::parse_marking("SECRET//ORCON//REL TO USA, JPN", own(USA)).unwrap();
    let b = Label::parse_marking("SECRET//REL TO USA, JPN", own(JPN)).unwrap();
    let j = a.join(&b);
    assert_eq!(j.owner(), NationSet::of(&[USA, JPN]));
    // JPN owns part of the product but is not the originator of the ORCON part.
    assert_eq!(j.originators(), own(USA));
    assert!(!allow_action(
        &Subject::new(JPN, Secret),
        Action::Forward,
        &j
    ));
    assert!(allow_action(
        &Subject::new(USA, Secret),
        Action::Forward,
        &j
    ));
}

#[test]
fn provenance_is_bounded_and_unioned() {
    let p = |ids: &[&str]| Provenance::new(ids).unwrap();
    let a = Label::rel_to(Classification::Secret, USA, &[JPN]).with_provenance(p(&["b", "a"]));
    let b = Label::rel_to(Classification::Secret, JPN, &[USA]).with_provenance(p(&["c", "a"]));
    let j = a.join(&b);
    assert_eq!(j.provenance().ids().collect::<Vec<_>>(), ["a", "b", "c"]);
    let many: Vec<String> = (0..100).map(|i| format!("src-{i:03}")).collect();
    let big = Provenance::new(&many).unwrap();
    assert_eq!(big.len(), MAX_SOURCES);
    assert!(big.is_truncated());
    assert!(Provenance::new(["x".repeat(65)]).is_err());
}

#[test]
fn interner_compiles_the_same_decision() {
    let mut i = LabelInterner::new();
    let a = Label::parse_marking("SECRET//SI//ORCON//REL TO USA, JPN", own(USA)).unwrap();
    let id = i.intern(&a);
    let a2 = a
        .clone()
        .with_provenance(Provenance::new(["feed-1"]).unwrap());
    assert_eq!(i.intern(&a2), id, "provenance does not change the id");
    assert_eq!(i.len(), 1);
    let s = subject(JPN, Classification::Secret, &["SI"], false);
    let cs = CompiledSubject::new(&s);
    for act in Action::ALL {
        assert_eq!(i.allow(&cs, act, id), allow_action(&s, act, &a), "{act}");
    }
    assert!(!i.allow(&cs, Action::View, LabelId(99)));
}

// ---- property tests ----

fn arb_nations() -> impl Strategy<Value = NationSet> {
    any::<u16>().prop_map(|m| {
        NationSet::of(
            &Nation::ALL
                .iter()
                .copied()
                .filter(|n| m & (1 << *n as u16) != 0)
                .collect::<Vec<_>>(),
        )
    })
}

fn arb_clause() -> impl Strategy<Value = CategorySet> {
    (1u8..8).prop_map(|m| {
        let names = ["MDA", "MW", "ASW"];
        let v: Vec<&str> = (0..3)
            .filter(|i| m & (1 << i) != 0)
            .map(|i| names[i])
            .collect();
        cats(&v)
    })
}

pub(crate) fn arb_label() -> impl Strategy<Value = Label> {
    (
        (
            0usize..5,
            0usize..Nation::ALL.len(),
            arb_nations(),
            any::<bool>(),
        ),
        (
            0u8..8,
            proptest::collection::vec(arb_clause(), 0..3),
            any::<bool>(),
            0u8..8,
        ),
        proptest::collection::vec(0u8..6, 0..3),
    )
        .prop_map(|((lv, o, rel, nf), (restr, clauses, info, ctl), prov)| {
            let owner = NationSet::single(Nation::ALL[o]);
            let rel = if nf || rel.is_empty() {
                NationSet::EMPTY
            } else {
                rel.union(owner)
            };
            let mut spec = LabelSpec::new(Classification::ALL[lv], owner);
            spec.rel_to = rel;
            let rn = ["SI", "SI-G", "TK"];
            spec.restrictive = cats(
                &(0..3)
                    .filter(|i| restr & (1 << i) != 0)
                    .map(|i| rn[i])
                    .collect::<Vec<_>>(),
            );
            spec.permissive = clauses;
            if info {
                spec.informative = cats(&["EXERCISE"]);
            }
            let cn = ["ORCON", "RELIDO", "DISPLAY ONLY"];
            let mut names: Vec<&str> = (0..3)
                .filter(|i| ctl & (1 << i) != 0)
                .map(|i| cn[i])
                .collect();
            if nf {
                names.push("NOFORN");
            }
            spec.controls = ControlSet::parse_names(&names).unwrap();
            spec.provenance = Provenance::new(prov.iter().map(|i| format!("s{i}"))).unwrap();
            Label::from_spec(spec).unwrap()
        })
}

/// Every subject that matters: each nation, level, holding of the access-relevant
/// categories, with and without the official role.
fn all_subjects() -> Vec<Subject> {
    let p = policy::active();
    let relevant = p
        .kind_mask(CategoryKind::Restrictive)
        .union(p.kind_mask(CategoryKind::Permissive));
    let bits: Vec<u64> = relevant.indices().map(|i| 1u64 << i).collect();
    let mut out = Vec::new();
    for n in Nation::ALL {
        for lv in Classification::ALL {
            for m in 0u32..(1 << bits.len()) {
                let held = bits
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| m & (1 << k) != 0)
                    .fold(0u64, |a, (_, b)| a | b);
                for official in [false, true] {
                    out.push(Subject::new(*n, lv).with_holdings(Holdings {
                        categories: CategorySet::from_bits(held),
                        releasing_official: official,
                    }));
                }
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn join_is_a_semilattice(a in arb_label(), b in arb_label(), c in arb_label()) {
        prop_assert_eq!(a.join(&b), b.join(&a));
        prop_assert_eq!(a.join(&b).join(&c), a.join(&b.join(&c)));
        prop_assert_eq!(a.join(&a), a.clone());
    }

    /// Whatever a join produces is stored (history snapshots) and must read back as the
    /// same label, owner-less joins included.
    #[test]
    fn joins_survive_serialization(a in arb_label(), b in arb_label(), c in arb_label()) {
        for l in [a.join(&b), a.join(&b).join(&c)] {
            let wire = serde_json::to_string(&l).unwrap();
            let back: Label = serde_json::from_str(&wire).map_err(|e| {
                TestCaseError::fail(format!("{wire}: {e}"))
            })?;
            prop_assert_eq!(back, l);
        }
    }

    #[test]
    fn join_is_never_below_its_inputs(a in arb_label(), b in arb_label(), c in arb_label()) {
        let j = a.join(&b).join(&c);
        prop_assert!(j.dominates(&a) && j.dominates(&b) && j.dominates(&c));
        let cj = CompiledLabel::new(&j);
        let (ca, cb, cc) = (CompiledLabel::new(&a), CompiledLabel::new(&b), CompiledLabel::new(&c));
        for s in all_subjects() {
            let cs = CompiledSubject::new(&s);
            for act in Action::ALL {
                let allowed = allow_action(&s, act, &j);
                prop_assert_eq!(allowed, cj.allow(&cs, act));
                if allowed {
                    prop_assert!(
                        ca.allow(&cs, act) && cb.allow(&cs, act) && cc.allow(&cs, act),
                        "{:?} may {} {} but not all of {} / {} / {}", s, act, j, a, b, c
                    );
                }
            }
        }
        // The join renders and parses back to the same marking; JSON round-trips exactly.
        if !j.owner().is_empty() {
            let back = Label::parse_marking(&j.marking(), j.owner()).unwrap();
            prop_assert_eq!(back.marking(), j.marking());
            let json: Label = serde_json::from_str(&serde_json::to_string(&j).unwrap()).unwrap();
            prop_assert_eq!(json, j);
        }
    }

    #[test]
    fn render_parse_round_trips(a in arb_label()) {
        let back = Label::parse_marking(&a.marking(), a.owner()).unwrap();
        prop_assert_eq!(back.clone().with_provenance(a.provenance().clone()), a.clone());
        prop_assert_eq!(back.marking(), a.marking());
        let json: Label = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        prop_assert_eq!(json, a);
    }

    #[test]
    fn parsing_never_panics(s in "[A-Z /,\\-Аа\u{200b}]{0,60}") {
        let _ = Label::parse_marking(&s, own(USA));
    }
}

/// Two nations' reports each shared only with JPN: their join is JPN's alone and owned by
/// neither; it reads back from the wire, and an author still cannot write an owner-less
/// label.
#[test]
fn an_ownerless_join_round_trips_but_cannot_be_authored() {
    let usa = Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]);
    let aus = Label::rel_to(Classification::Secret, Nation::AUS, &[Nation::JPN]);
    let j = usa.join(&aus);
    assert!(j.owner().is_empty());
    assert_eq!(j.releasable_to(), NationSet::single(Nation::JPN));
    let wire = serde_json::to_value(&j).unwrap();
    assert_eq!(wire["joined_without_owner"], true);
    let back: Label = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(back, j);
    let mut authored = wire;
    authored
        .as_object_mut()
        .unwrap()
        .remove("joined_without_owner");
    let err = serde_json::from_value::<Label>(authored).unwrap_err();
    assert!(err.to_string().contains("owner"), "{err}");
    // An owned label carries no such field.
    assert!(serde_json::to_value(&usa)
        .unwrap()
        .get("joined_without_owner")
        .is_none());
}
