use super::*;
use biac_model::FeedFormat;

const TAK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<event version="2.0" uid="ANDROID-KE8TQB-001" type="a-f-G-U-C" time="2026-07-12T19:00:41.00Z"
       start="2026-07-12T19:00:41.00Z" stale="2026-07-12T19:05:41.00Z" how="m-g" access="Undefined">
  <point lat="39.871776" lon="-98.324262" hae="9999999" ce="9999999" le="9999999" />
  <detail>
    <contact callsign="KE8TQB" />
    <uid Droid="KE8TQB" />
    <track speed="0.0" course="90.5" />
    <__group name="Cyan" role="Team Member"><x>a &amp; b</x></__group>
  </detail>
</event>"#;

fn cfg(kind: ObservationKind, trusted: bool) -> FeedConfig {
    FeedConfig {
        name: "cot-test".into(),
        format: FeedFormat::Cot,
        nation: Nation::USA,
        default_label: Label::unclassified_public(Nation::USA),
        trusted_markings: trusted,
        cot_kind: kind,
        description: String::new(),
        limits: Default::default(),
    }
}

fn event() -> CotEvent {
    CotEvent {
        uid: "track-42".into(),
        cot_type: "a-h-S".into(),
        how: "m-r".into(),
        time_ms: 1_704_110_400_123,
        start_ms: 1_704_110_400_123,
        stale_ms: 1_704_110_460_000,
        lat: 24.5,
        lon: 123.25,
        hae: UNKNOWN,
        ce: 21.46,
        le: UNKNOWN,
        course_deg: Some(45.0),
        speed_mps: Some(7.5),
        callsign: Some("BANDIT 1".into()),
        access: None,
        caveat: None,
        releasable_to: None,
        extra_detail: r#"<remarks source="x">fast &lt;boat&gt;</remarks>"#.into(),
    }
}

#[test]
fn parses_a_tak_event() {
    let e = parse_event(TAK.as_bytes()).unwrap();
    assert_eq!(e.uid, "ANDROID-KE8TQB-001");
    assert_eq!(e.cot_type, "a-f-G-U-C");
    assert_eq!(e.how, "m-g");
    assert_eq!(e.time_ms, 1_783_882_841_000);
    assert_eq!(e.stale_ms - e.start_ms, 300_000);
    assert_eq!((e.lat, e.lon), (39.871776, -98.324262));
    assert_eq!((e.hae, e.ce, e.le), (UNKNOWN, UNKNOWN, UNKNOWN));
    assert_eq!(e.callsign.as_deref(), Some("KE8TQB"));
    assert_eq!((e.course_deg, e.speed_mps), (Some(90.5), Some(0.0)));
    assert_eq!(e.access.as_deref(), Some("Undefined"));
    assert!(!e.has_marking());
    assert_eq!(
        e.extra_detail,
        r#"<uid Droid="KE8TQB" /><__group name="Cyan" role="Team Member"><x>a &amp; b</x></__group>"#
    );
}

#[test]
fn times_with_and_without_fraction_and_offset() {
    let with = |t: &str| TAK.replace("2026-07-12T19:00:41.00Z", t);
    let ms = |t: &str| parse_event(with(t).as_bytes()).map(|e| e.time_ms);
    assert_eq!(ms("2026-07-12T19:00:41Z").unwrap(), 1_783_882_841_000);
    assert_eq!(
        ms("2026-07-12T19:00:41.1234567Z").unwrap(),
        1_783_882_841_123
    );
    assert_eq!(ms("2026-07-13T04:00:41+09:00").unwrap(), 1_783_882_841_000);
    // RFC 3339 allows a space for the T.
    assert_eq!(ms("2026-07-12 19:00:41Z").unwrap(), 1_783_882_841_000);
    for bad in ["2026-07-12T19:00:41", "2026-07-12", "yesterday", ""] {
        assert!(ms(bad).is_err(), "{bad}");
    }
}

#[test]
fn round_trip() {
    let mut marked = event();
    marked.access = Some("SECRET".into());
    marked.caveat = Some("NOFORN".into());
    marked.releasable_to = Some("USA".into());
    for e in [event(), marked] {
        let xml = e.to_xml();
        assert!(xml.starts_with(r#"<event version="2.0" uid="track-42" type="a-h-S" how="m-r" time="2024-01-01T12:00:00.123Z""#), "{xml}");
        assert_eq!(parse_event(xml.as_bytes()).unwrap(), e);
    }
    // And from a foreign event: parse, write, parse again.
    let e = parse_event(TAK.as_bytes()).unwrap();
    assert_eq!(parse_event(e.to_xml().as_bytes()).unwrap(), e);
    // Attribute values with XML metacharacters survive.
    let e = CotEvent {
        uid: r#"a"b<c>&'d"#.into(),
        callsign: Some("<&>".into()),
        ..event()
    };
    assert_eq!(parse_event(e.to_xml().as_bytes()).unwrap(), e);
}

#[test]
fn validation() {
    let ok = event().to_xml();
    let cases: Vec<(String, &str)> = vec![
        (ok.replace(r#"lat="24.5""#, r#"lat="91""#), "lat"),
        (ok.replace(r#"lon="123.25""#, r#"lon="-180.5""#), "lon"),
        (ok.replace(r#"lat="24.5""#, r#"lat="NaN""#), "lat"),
        (ok.replace(r#"lat="24.5""#, r#"lat="north""#), "lat"),
        (ok.replace(r#" uid="track-42""#, ""), "without uid"),
        (ok.replace(r#"uid="track-42""#, r#"uid=" ""#), "empty uid"),
        (ok.replace("track-42", &"u".repeat(300)), "longer than"),
        (ok.replace(r#" how="m-r""#, ""), "without how"),
        (
            ok.replace("2024-01-01T12:00:00.123Z", "2024-13-01T12:00:00Z"),
            "RFC 3339",
        ),
        (ok.replace(r#"type="a-h-S""#, r#"type="a h S""#), "type"),
        (
            ok.replace(r#"version="2.0""#, r#"version="1.0""#),
            "version",
        ),
        (
            ok.replace(
                r#"<point lat="24.5" lon="123.25" hae="9999999" ce="21.46" le="9999999"/>"#,
                "",
            ),
            "without <point>",
        ),
        (
            ok.replace("<detail>", r#"<point lat="1" lon="1"/><detail>"#),
            "more than one <point>",
        ),
        (ok.replace("</event>", ""), "truncated"),
        (ok.replace("</detail>", ""), "malformed XML"),
        (format!("{ok}<event/>"), "after </event>"),
        (
            ok.replace("<event", "<evnt").replace("</event>", "</evnt>"),
            "root element",
        ),
        (
            ok.replace(r#"how="m-r""#, r#"how="m-r" how="x""#),
            "malformed attribute",
        ),
        (ok.replace("BANDIT 1", "a\u{7}b"), "control character"),
        (
            format!(
                r#"<?xml version="1.0"?><!DOCTYPE event [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>{}"#,
                ok.replace("BANDIT 1", "&xxe;")
            ),
            "DOCTYPE",
        ),
        (ok.replace("BANDIT 1", "&xxe;"), "attribute callsign"),
        ("garbage".into(), "unexpected text"),
        ("".into(), "no <event>"),
    ];
    for (xml, want) in cases {
        let e = parse_event(xml.as_bytes()).unwrap_err();
        assert!(e.to_string().contains(want), "{want}: {e}\n{xml}");
    }
}

#[test]
fn declarations_are_refused_but_their_words_in_comments_are_text() {
    let ok = event().to_xml();
    // A comment or CDATA section may say anything, `<!ENTITY` included.
    for extra in [
        "<!-- no <!ENTITY here, nor <!DOCTYPE -->",
        "<remarks><![CDATA[<!ENTITY x \"y\">]]></remarks>",
    ] {
        let xml = ok.replace("<detail>", &format!("<detail>{extra}"));
        let ev = parse_event(xml.as_bytes()).unwrap_or_else(|e| panic!("{extra}: {e}"));
        assert_eq!(ev.uid, "track-42");
    }
    // Declarations themselves, anywhere and in any case, are refused.
    for bad in [
        format!(r#"<!DOCTYPE event [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>{ok}"#),
        format!(r#"<!doctype event>{ok}"#),
        format!(r#"<!ENTITY xxe SYSTEM "file:///etc/passwd">{ok}"#),
        ok.replace("<detail>", r#"<detail><!ENTITY xxe "x">"#),
        ok.replace("<detail>", r#"<detail><!DOCTYPE x>"#),
    ] {
        assert!(parse_event(bad.as_bytes()).is_err(), "accepted: {bad}");
    }
}

#[test]
fn observation_from_atom() {
    let c = cfg(ObservationKind::Track, false);
    let o = decode_observation(&c, event().to_xml().as_bytes(), 0)
        .unwrap()
        .remove(0);
    assert_eq!(o.time_ms, 1_704_110_400_123);
    assert_eq!(o.domain, Domain::Surface);
    assert_eq!(o.affiliation, Some(Affiliation::Hostile));
    assert_eq!(o.kind, ObservationKind::Track);
    assert_eq!(o.identity.track_number.as_deref(), Some("track-42"));
    assert_eq!(o.identity.callsign.as_deref(), Some("BANDIT 1"));
    assert!((o.pos_sigma_m - 10.0).abs() < 1e-9);
    assert_eq!(o.position.alt_m, None);
    let v = o.velocity.unwrap();
    assert!((v.speed_mps() - 7.5).abs() < 1e-9 && (v.course_deg() - 45.0).abs() < 1e-9);
    assert_eq!(o.vel_sigma_mps, Some(VEL_SIGMA_MPS));
    assert_eq!((o.feed.as_str(), &o.label), ("cot-test", &c.default_label));

    // Plots carry no track number; unknown ce is 1000 m; air; altitude from hae.
    let e = CotEvent {
        cot_type: "a-u-A-M-F".into(),
        ce: UNKNOWN,
        hae: 9000.0,
        course_deg: None,
        ..event()
    };
    let o = decode_observation(&cfg(ObservationKind::Plot, false), e.to_xml().as_bytes(), 0)
        .unwrap()
        .remove(0);
    assert_eq!(o.identity.track_number, None);
    assert_eq!(
        (o.domain, o.affiliation),
        (Domain::Air, Some(Affiliation::Unknown))
    );
    assert_eq!(o.pos_sigma_m, 1000.0);
    assert_eq!(o.position.alt_m, Some(9000.0));
    assert_eq!(o.velocity, None);

    let ground = CotEvent {
        cot_type: "a-f-G-U-C".into(),
        ..event()
    };
    let o = decode_observation(&c, ground.to_xml().as_bytes(), 0).unwrap();
    assert_eq!(o[0].domain, Domain::Ground);

    // Not atoms: pings, drawings, chat.
    for t in ["t-x-c-t", "b-m-p-s-m", "b-t-f", "u-d-f"] {
        let e = CotEvent {
            cot_type: t.into(),
            ..event()
        };
        assert_eq!(
            decode_observation(&c, e.to_xml().as_bytes(), 0).unwrap(),
            vec![]
        );
    }
    let bad = CotEvent {
        cot_type: "a".into(),
        ..event()
    };
    assert!(decode_observation(&c, bad.to_xml().as_bytes(), 0).is_err());
}

fn marked(access: &str, caveat: Option<&str>, rel: Option<&str>) -> String {
    CotEvent {
        access: Some(access.into()),
        caveat: caveat.map(Into::into),
        releasable_to: rel.map(Into::into),
        ..event()
    }
    .to_xml()
}

#[test]
fn markings_from_trusted_feeds_only() {
    let trusted = cfg(ObservationKind::Track, true);
    let untrusted = cfg(ObservationKind::Track, false);
    let label = |c: &FeedConfig, xml: &str| {
        decode_observation(c, xml.as_bytes(), 0).map(|mut o| o.remove(0).label)
    };
    let want = Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]);
    for rel in ["USA,JPN", "USA JPN", " JPN, USA "] {
        let xml = marked("SECRET", None, Some(rel));
        assert_eq!(label(&trusted, &xml).unwrap(), want, "{rel}");
        assert_eq!(label(&untrusted, &xml).unwrap(), untrusted.default_label);
    }
    // ATAK's protobuf spelling.
    let xml = marked("SECRET", None, Some("USA,JPN")).replace("releasableTo", "releaseableTo");
    assert_eq!(label(&trusted, &xml).unwrap(), want);
    let nf = label(&trusted, &marked("CONFIDENTIAL", Some("NOFORN"), None)).unwrap();
    assert_eq!(nf.marking(), "CONFIDENTIAL//NOFORN");
    let owner_only = label(&trusted, &marked("TOP SECRET", None, None)).unwrap();
    assert_eq!(owner_only.marking(), "TOP SECRET");
    // TAK's placeholder is no marking at all.
    assert_eq!(
        label(&trusted, &marked("Undefined", None, None)).unwrap(),
        trusted.default_label
    );
    // Bad markings from a trusted feed reject the record.
    for (a, c, r) in [
        ("Secret", None, None),
        ("SECRET", None, Some("USA,XXX")),
        ("SECRET", None, Some("JPN")),
        ("SECRET", Some("FOUO"), None),
        ("SECRET", Some("orcon"), None),
        ("SECRET", Some("ORCON//SI"), None),
        ("SECRET", Some("NOFORN"), Some("USA,JPN")),
        ("Undefined", None, Some("USA,JPN")),
        ("", Some("NOFORN"), None),
    ] {
        let xml = marked(a, c, r);
        let e = label(&trusted, &xml).unwrap_err();
        assert!(e.to_string().contains("marking"), "{a} {c:?} {r:?}: {e}");
        assert_eq!(label(&untrusted, &xml).unwrap(), untrusted.default_label);
    }
}

/// Issue 20 finding 5: a trusted feed's wire marking may only add restrictions to the
/// feed's own label. Before the fix a SECRET//SI//ORCON feed's event marked `SECRET`
/// lost SI and ORCON, and one marked `UNCLASSIFIED` became public.
#[test]
fn a_wire_marking_only_restricts_the_feed_label() {
    let m = |s: &str| Label::parse_marking(s, NationSet::single(Nation::JPN)).unwrap();
    let feed = FeedConfig {
        name: "jpn-sigint".into(),
        nation: Nation::JPN,
        default_label: m("SECRET//SI//ORCON//REL TO USA, JPN"),
        ..cfg(ObservationKind::Track, true)
    };
    let label =
        |xml: &str| decode_observation(&feed, xml.as_bytes(), 0).map(|mut o| o.remove(0).label);
    for (access, caveat, rel, want) in [
        (
            "SECRET",
            None,
            Some("JPN USA"),
            "SECRET//SI//ORCON//REL TO USA, JPN",
        ),
        (
            "UNCLASSIFIED",
            None,
            None,
            "SECRET//SI//ORCON//REL TO USA, JPN",
        ),
        (
            "CONFIDENTIAL",
            None,
            Some("USA,JPN,PHL"),
            "SECRET//SI//ORCON//REL TO USA, JPN",
        ),
        (
            "TOP SECRET",
            None,
            Some("USA,JPN"),
            "TOP SECRET//SI//ORCON//REL TO USA, JPN",
        ),
        (
            "SECRET",
            Some("DISPLAY ONLY"),
            Some("JPN"),
            "SECRET//SI//ORCON//DISPLAY ONLY//REL TO JPN",
        ),
        ("SECRET", Some("NOFORN"), None, "SECRET//SI//ORCON//NOFORN"),
    ] {
        let got = label(&marked(access, caveat, rel)).unwrap();
        assert_eq!(got.marking(), want, "{access} {caveat:?} {rel:?}");
        assert!(!biac_model::allow(
            &biac_model::Subject::new(Nation::PHL, Classification::TopSecret),
            &got
        ));
    }
}

// --- encoding fused tracks -------------------------------------------------

fn fused_track(label: Label) -> biac_model::Track {
    let at = Position::new(24.123_456_789_012, 123.987_654_321_098);
    biac_model::Track::new(42, 1_704_110_400_000, at, label)
        .with_velocity(Velocity::from_sog_cog(7.5, 45.0))
        .with_cov([100.0, 3.0, 100.0])
        .with_affiliation(Affiliation::Hostile)
        .with_identity(Identity {
            mmsi: Some(431_000_001),
            ..Identity::default()
        })
        .with_source("jcg-radar", 0)
        .with_updates(12)
}

#[test]
fn cot_types_follow_the_2525_atoms() {
    assert_eq!(cot_type(Domain::Surface, Affiliation::Hostile), "a-h-S");
    assert_eq!(cot_type(Domain::Air, Affiliation::Unknown), "a-u-A");
    assert_eq!(cot_type(Domain::Ground, Affiliation::Friend), "a-f-G");
    assert_eq!(cot_type(Domain::Surface, Affiliation::Neutral), "a-n-S");
    assert_eq!(cot_type(Domain::Air, Affiliation::Suspect), "a-s-A");
    assert_eq!(cot_type(Domain::Unknown, Affiliation::Unknown), "a-u");
    // Every combination reads back as the same domain and affiliation.
    let cfg = cfg(ObservationKind::Track, false);
    for d in [
        Domain::Surface,
        Domain::Air,
        Domain::Ground,
        Domain::Unknown,
    ] {
        for a in [
            Affiliation::Pending,
            Affiliation::Unknown,
            Affiliation::AssumedFriend,
            Affiliation::Friend,
            Affiliation::Neutral,
            Affiliation::Suspect,
            Affiliation::Hostile,
        ] {
            let mut t = fused_track(Label::unclassified_public(Nation::USA));
            t.domain = d;
            t.affiliation = a;
            let xml = track_event(&t, "u", t.time_ms, 60_000).to_xml();
            let o = &decode_observation(&cfg, xml.as_bytes(), 0).unwrap()[0];
            assert_eq!((o.domain, o.affiliation), (d, Some(a)), "{xml}");
        }
    }
}

#[test]
fn track_event_round_trips_through_a_trusted_feed() {
    // The feed's own label is the floor every wire marking is joined with: public here.
    let trusted = FeedConfig {
        nation: Nation::JPN,
        default_label: Label::unclassified_public(Nation::JPN),
        ..cfg(ObservationKind::Track, true)
    };
    let m = |s: &str| Label::parse_marking(s, NationSet::single(Nation::JPN)).unwrap();
    let labels = [
        // Every dissemination control and category travels in `caveat`.
        m("SECRET//SI/TK//COI MDA, MW//EXERCISE//ORCON//RELIDO//DISPLAY ONLY//REL TO USA, JPN"),
        m("SECRET//DISPLAY ONLY//REL TO USA, JPN"),
        m("CONFIDENTIAL//ORCON//NOFORN"),
        Label::rel_to(
            Classification::Secret,
            Nation::JPN,
            &[Nation::USA, Nation::AUS],
        ),
        Label::rel_to(Classification::Confidential, Nation::JPN, &[Nation::USA]),
        Label::new(
            Classification::Secret,
            NationSet::single(Nation::JPN),
            NationSet::EMPTY,
            true,
        )
        .unwrap(),
        Label::new(
            Classification::TopSecret,
            NationSet::single(Nation::JPN),
            NationSet::EMPTY,
            false,
        )
        .unwrap(),
        Label::unclassified_public(Nation::JPN),
    ];
    for label in labels {
        let t = fused_track(label.clone());
        let now = t.time_ms + 1500;
        let ev = track_event(&t, "biac-JPN-SECRET-T000042", now, 120_000);
        assert_eq!(ev.how, "m-f");
        assert_eq!(ev.cot_type, "a-h-S");
        // Stale counts from the data's time, not from the send.
        assert_eq!(
            (ev.time_ms, ev.start_ms, ev.stale_ms),
            (now, t.time_ms, t.time_ms + 120_000)
        );
        let xml = ev.to_xml();
        let back = parse_event(xml.as_bytes()).unwrap();
        assert_eq!(back, ev, "{xml}");
        let o = &decode_observation(&trusted, xml.as_bytes(), now).unwrap()[0];
        assert_eq!(o.label, label, "{xml}");
        assert!((o.position.lat_deg - t.position.lat_deg).abs() < 1e-7);
        assert!((o.position.lon_deg - t.position.lon_deg).abs() < 1e-7);
        // CE90 = 2.146 sigma (to the centimetre), and the decoder takes it back.
        assert!((ev.ce - 2.146 * t.pos_sigma_m()).abs() < 0.005);
        assert!((o.pos_sigma_m - ev.ce / 2.146).abs() < 1e-9);
        let v = o.velocity.unwrap();
        assert!((v.speed_mps() - 7.5).abs() < 1e-9 && (v.course_deg() - 45.0).abs() < 1e-9);
        assert_eq!(o.identity.callsign.as_deref(), Some("MMSI 431000001"));
        assert_eq!(
            o.identity.track_number.as_deref(),
            Some("biac-JPN-SECRET-T000042")
        );
    }
}

#[test]
fn track_event_markings_and_callsigns() {
    let l = Label::rel_to(
        Classification::Secret,
        Nation::JPN,
        &[Nation::USA, Nation::AUS],
    );
    assert_eq!(
        label_markings(&l),
        ("SECRET".into(), None, Some("USA,AUS,JPN".into()))
    );
    let pub_l = Label::unclassified_public(Nation::USA);
    assert_eq!(label_markings(&pub_l), ("UNCLASSIFIED".into(), None, None));
    let d = Label::parse_marking(
        "SECRET//SI//ORCON//DISPLAY ONLY//REL TO USA, JPN",
        NationSet::single(Nation::JPN),
    )
    .unwrap();
    assert_eq!(
        label_markings(&d),
        (
            "SECRET".into(),
            Some("SI//ORCON//DISPLAY ONLY".into()),
            Some("USA,JPN".into())
        )
    );
    let mut t = fused_track(l);
    t.position.alt_m = Some(10_000.0);
    t.identity = Identity {
        callsign: Some("JAL123".into()),
        name: Some("ignored".into()),
        icao: Some(0x86d4a1),
        ..Identity::default()
    };
    let ev = track_event(&t, "u1", t.time_ms, 60_000);
    assert_eq!(ev.callsign.as_deref(), Some("JAL123"));
    assert_eq!(ev.hae, 10_000.0);
    t.identity.callsign = None;
    t.identity.name = None;
    assert_eq!(
        track_event(&t, "u1", t.time_ms, 60_000).callsign.as_deref(),
        Some("ICAO 86D4A1")
    );
    t.identity = Identity::default();
    assert_eq!(
        track_event(&t, "u1", t.time_ms, 60_000).callsign.as_deref(),
        Some("u1")
    );
    // A track newer than "now" (a clock ahead) never starts after its own time.
    let ev = track_event(&t, "u1", t.time_ms - 10, 60_000);
    assert_eq!(ev.start_ms, ev.time_ms);
}

/// CoT output conventions (issue 17, "CoT output polish"): each was found by an
/// independent TAK client reading the audience ports.
mod output_polish {
    use super::*;

    /// `stale` follows the data's age: rendering the same track again later (a re-send
    /// of an unchanged track) does not push its expiry out.
    #[test]
    fn stale_counts_from_the_tracks_time_not_the_send() {
        let t = fused_track(Label::unclassified_public(Nation::JPN));
        let first = track_event(&t, "u", t.time_ms + 1_000, 120_000);
        let resent = track_event(&t, "u", t.time_ms + 61_000, 120_000);
        assert_eq!(first.stale_ms, t.time_ms + 120_000);
        assert_eq!(resent.stale_ms, first.stale_ms);
        assert_eq!(resent.start_ms, first.start_ms);
        // Data older than its validity is stale when sent.
        let old = track_event(&t, "u", t.time_ms + 300_000, 120_000);
        assert!(old.stale_ms < old.time_ms);
    }

    /// A real height is a real `hae` with a finite `le`; an unknown one is the
    /// schema's 9999999 for both, never `hae="0"`.
    #[test]
    fn height_known_or_unknown_has_one_convention() {
        let mut t = fused_track(Label::unclassified_public(Nation::JPN));
        let xml = track_event(&t, "u", t.time_ms, 60_000).to_xml();
        assert!(xml.contains(r#"hae="9999999" ce="#), "{xml}");
        assert!(xml.contains(r#"le="9999999"/>"#), "{xml}");
        t.position.alt_m = Some(0.0);
        let ev = track_event(&t, "u", t.time_ms, 60_000);
        assert_eq!(ev.hae, 0.0);
        assert!(ev.le > 0.0 && ev.le < 1_000.0, "{}", ev.le);
        t.position.alt_m = Some(f64::NAN);
        let ev = track_event(&t, "u", t.time_ms, 60_000);
        assert_eq!((ev.hae, ev.le), (UNKNOWN, UNKNOWN));
    }

    /// Numbers carry no binary noise: FL360 is `10972.8` m, not `10972.800000000001`;
    /// the event reads back equal to itself.
    #[test]
    fn floats_are_written_without_noise() {
        let mut t = fused_track(Label::unclassified_public(Nation::JPN));
        t.position.alt_m = Some(36_000.0 * 0.3048);
        assert_eq!(t.position.alt_m.unwrap().to_string(), "10972.800000000001");
        t.velocity = Velocity::from_sog_cog(0.1 + 0.2, 45.0);
        let ev = track_event(&t, "u", t.time_ms, 60_000);
        let xml = ev.to_xml();
        assert!(xml.contains(r#"hae="10972.8""#), "{xml}");
        assert!(
            xml.contains(r#"lat="24.1234568" lon="123.9876543""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"speed="0.3""#) && xml.contains(r#"course="45""#),
            "{xml}"
        );
        assert_eq!(parse_event(xml.as_bytes()).unwrap(), ev);
        for (v, p, want) in [
            (9_999_999.0, 2, "9999999"),
            (-0.000_000_01, 7, "0"),
            (21.46, 2, "21.46"),
            (f64::INFINITY, 2, "9999999"),
        ] {
            assert_eq!(decimal(v, p), want);
        }
    }

    /// `<precisionlocation>` names the kind of source: GPS for an object that reports
    /// its own fix (MMSI, ICAO address), CALC for sensor measurements; the altitude's
    /// source is unknown (`???`) when the height is. TAK protocol v1 carries it in its
    /// typed message.
    #[test]
    fn precision_location_names_the_source_kind() {
        let mut t = fused_track(Label::unclassified_public(Nation::JPN));
        let xml = track_event(&t, "u", t.time_ms, 60_000).to_xml();
        assert!(
            xml.contains(r#"<precisionlocation geopointsrc="GPS" altsrc="???"/>"#),
            "{xml}"
        );
        t.identity = Identity::default();
        t.position.alt_m = Some(120.0);
        let xml = track_event(&t, "u", t.time_ms, 60_000).to_xml();
        assert!(
            xml.contains(r#"<precisionlocation geopointsrc="CALC" altsrc="CALC"/>"#),
            "{xml}"
        );
        let msg = crate::tak::xml_to_proto(xml.as_bytes()).unwrap();
        let pl = msg
            .cot_event
            .unwrap()
            .detail
            .unwrap()
            .precision_location
            .unwrap();
        assert_eq!(
            (pl.geopointsrc.as_str(), pl.altsrc.as_str()),
            ("CALC", "CALC")
        );
    }
}
