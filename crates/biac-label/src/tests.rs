use super::*;
use proptest::prelude::*;
use Nation::*;

fn own(n: Nation) -> NationSet {
    NationSet::single(n)
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
}

#[test]
fn strict_parsing_rejects() {
    let bad = [
        "secret//REL TO USA, JPN",
        "SECRET//REL TO USA, jpn",
        "SECRET//REL TO USA, JPN, XXX",
        "SECRET//REL TO USA,JPN",
        "SECRET//NOFORN//REL TO USA",
        "SECRET//REL TO JPN",             // owner USA missing
        "SECRET//REL TO USA, \u{0408}PN", // Cyrillic look-alike J
        "SECRET//ORCONX",
        "",
    ];
    for b in bad {
        assert!(Label::parse_marking(b, own(USA)).is_err(), "accepted {b:?}");
    }
}

#[test]
fn json_form_is_strict() {
    let ok: Label = serde_json::from_str(
        r#"{"classification":"SECRET","owner":["USA"],"rel_to":["USA","JPN"]}"#,
    )
    .unwrap();
    assert_eq!(ok.marking(), "SECRET//REL TO USA, JPN");
    for bad in [
        r#"{"classification":"SECRET","owner":["USA"],"rel_to":["JPN"]}"#,
        r#"{"classification":"SECRET","owner":["USA"],"rel_to":["USA"],"noforn":true}"#,
        r#"{"classification":"secret","owner":["USA"]}"#,
        r#"{"classification":"SECRET","owner":[]}"#,
        r#"{"classification":"SECRET","owner":["USA"],"extra":1}"#,
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
    let s = |nation, clearance| Subject { nation, clearance };
    assert!(allow(&s(JPN, Classification::Secret), &l));
    assert!(allow(&s(USA, Classification::TopSecret), &l));
    assert!(!allow(&s(AUS, Classification::TopSecret), &l));
    assert!(!allow(&s(JPN, Classification::Confidential), &l));
}

fn arb_label() -> impl Strategy<Value = Label> {
    (0usize..4, 0usize..8, any::<u16>(), any::<bool>()).prop_map(|(lv, o, rel, nf)| {
        let owner = NationSet::single(Nation::ALL[o]);
        let rel = NationSet::of(
            &Nation::ALL
                .iter()
                .copied()
                .filter(|n| rel & (1 << *n as u16) != 0)
                .collect::<Vec<_>>(),
        );
        let rel = if nf || rel.is_empty() {
            NationSet::EMPTY
        } else {
            rel.union(owner)
        };
        Label::new(Classification::ALL[lv], owner, rel, nf).unwrap()
    })
}

proptest! {
    #[test]
    fn join_dominates_inputs(a in arb_label(), b in arb_label(), c in arb_label()) {
        let j = a.join(&b).join(&c);
        prop_assert!(j.dominates(&a) && j.dominates(&b) && j.dominates(&c));
        // Whoever may see the join may see every input.
        for n in Nation::ALL {
            for lv in Classification::ALL {
                let s = Subject { nation: *n, clearance: lv };
                if allow(&s, &j) {
                    prop_assert!(allow(&s, &a) && allow(&s, &b) && allow(&s, &c));
                }
            }
        }
        // The join renders and parses back to itself.
        if !j.owner().is_empty() {
            prop_assert_eq!(Label::parse_marking(&j.marking(), j.owner()).unwrap(), j);
        }
    }
}
