use super::*;

const EVENT: &str = r#"<event version="2.0" uid="ANDROID-1" type="a-f-G-U-C" how="m-g" time="2026-11-22T01:02:03.456Z" start="2026-11-22T01:02:03.456Z" stale="2026-11-22T01:07:03.456Z" access="Undefined" caveat="FOUO" releasableTo="USA JPN"><point lat="35.5" lon="139.25" hae="12.5" ce="9.9" le="9999999"/><detail><contact endpoint="*:-1:stcp" callsign="ALPHA 1"/><__group name="Cyan" role="Team Member"/><precisionlocation geopointsrc="GPS" altsrc="GPS"/><status battery="87"/><takv device="PIXEL" platform="ATAK-CIV" os="34" version="5.2"/><track speed="3.5" course="271.25"/><remarks>hello &amp; bye</remarks><link uid="x" relation="p-p"/></detail></event>"#;

#[test]
fn xml_to_proto_types_the_known_children() {
    let m = xml_to_proto(EVENT.as_bytes()).unwrap();
    let ev = m.cot_event.as_ref().unwrap();
    assert_eq!(ev.r#type, "a-f-G-U-C");
    assert_eq!(ev.send_time, 1_795_309_323_456);
    assert_eq!(ev.stale_time - ev.send_time, 300_000);
    assert_eq!(
        (ev.lat, ev.lon, ev.hae, ev.le),
        (35.5, 139.25, 12.5, 9_999_999.0)
    );
    assert_eq!(
        (ev.caveat.as_str(), ev.releaseable_to.as_str()),
        ("FOUO", "USA JPN")
    );
    let d = ev.detail.as_ref().unwrap();
    assert_eq!(d.contact.as_ref().unwrap().callsign, "ALPHA 1");
    assert_eq!(d.group.as_ref().unwrap().role, "Team Member");
    assert_eq!(d.status.as_ref().unwrap().battery, 87);
    assert_eq!(d.track.as_ref().unwrap().course, 271.25);
    assert_eq!(d.takv.as_ref().unwrap().platform, "ATAK-CIV");
    // Typed children leave xmlDetail; the rest stays verbatim.
    assert_eq!(
        d.xml_detail,
        r#"<remarks>hello &amp; bye</remarks><link uid="x" relation="p-p"/>"#
    );
}

#[test]
fn round_trip_xml_proto_xml() {
    let m = xml_to_proto(EVENT.as_bytes()).unwrap();
    let xml = proto_to_xml(&m).unwrap();
    let again = xml_to_proto(xml.as_bytes()).unwrap();
    assert_eq!(again, m);
    assert_eq!(again.encode_to_vec(), m.encode_to_vec());
    let ev = to_cot_event(&m).unwrap();
    assert_eq!(ev.callsign.as_deref(), Some("ALPHA 1"));
    assert_eq!(ev.course_deg, Some(271.25));
    assert_eq!(ev.caveat.as_deref(), Some("FOUO"));
}

#[test]
fn children_that_would_lose_data_stay_xml() {
    let xml = r#"<event version="2.0" uid="u" type="a-h-S" how="m-r" time="2026-11-22T00:00:00Z" start="2026-11-22T00:00:00Z" stale="2026-11-22T00:01:00Z"><point lat="1" lon="2" hae="0" ce="10" le="10"/><detail><contact callsign="A" phone="123"/><status battery="lots"/><track speed="1"><x/></track><contact callsign="B"/><takv/></detail></event>"#;
    let m = xml_to_proto(xml.as_bytes()).unwrap();
    let d = m.cot_event.unwrap().detail.unwrap();
    // The second, plain contact is typed; the first keeps its phone as XML.
    assert_eq!(d.contact.unwrap().callsign, "B");
    assert!(d.status.is_none() && d.track.is_none() && d.takv.is_none());
    assert_eq!(
        d.xml_detail,
        r#"<contact callsign="A" phone="123"/><status battery="lots"/><track speed="1"><x/></track><takv/>"#
    );
}

#[test]
fn no_detail_no_detail_field() {
    let xml = r#"<event version="2.0" uid="u" type="a-h-S" how="m-r" time="2026-11-22T00:00:00Z" start="2026-11-22T00:00:00Z" stale="2026-11-22T00:01:00Z"><point lat="1" lon="2" hae="0" ce="10" le="10"/><detail/></event>"#;
    let m = xml_to_proto(xml.as_bytes()).unwrap();
    assert!(m.cot_event.unwrap().detail.is_none());
}

#[test]
fn stream_and_mesh_framing() {
    let m = xml_to_proto(EVENT.as_bytes()).unwrap();
    let body = m.encode_to_vec();
    assert!(body.len() > 127, "exercise a two-byte varint");
    let s = encode_stream(&m);
    assert_eq!(s[0], 0xbf);
    assert_eq!(s.len(), body.len() + 3);
    assert_eq!(decode_stream(&s).unwrap(), Some((m.clone(), s.len())));
    // Incomplete frames ask for more.
    for cut in 0..s.len() {
        assert_eq!(decode_stream(&s[..cut]).unwrap(), None, "cut {cut}");
    }
    let mesh = encode_mesh(&m);
    assert_eq!(&mesh[..3], &[0xbf, 0x01, 0xbf]);
    assert_eq!(decode_mesh(&mesh).unwrap(), m);
    assert!(matches!(
        decode_mesh(&[0xbf, 0x02, 0xbf]).unwrap_err(),
        crate::Fault::Unsupported(d) if d.contains("version 2")
    ));
    assert!(decode_mesh(b"<?xml").is_err());
}

#[test]
fn stream_decoder_resynchronises() {
    let m = xml_to_proto(EVENT.as_bytes()).unwrap();
    let frame = encode_stream(&m);
    let mut d = StreamDecoder::new();
    d.push(b"junk");
    d.push(&frame[..10]);
    assert!(d.next_message().is_err());
    assert_eq!(d.next_message().unwrap(), None);
    d.push(&frame[10..]);
    d.push(&frame);
    assert_eq!(d.next_message().unwrap(), Some(m.clone()));
    assert_eq!(d.next_message().unwrap(), Some(m));
    assert_eq!(d.next_message().unwrap(), None);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    for bytes in [
        &[
            0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ][..],
        &[0xbf, 0x80, 0x80, 0x80, 0x04][..],
        &[0xbf, 0x02, 0xff, 0xff][..],
        &[0x00][..],
    ] {
        assert!(decode_stream(bytes).is_err(), "{bytes:?}");
    }
    // A message whose xmlDetail is not XML does not become an event.
    let mut m = xml_to_proto(EVENT.as_bytes()).unwrap();
    if let Some(d) = m.cot_event.as_mut().and_then(|e| e.detail.as_mut()) {
        d.xml_detail = "<unclosed>".into();
    }
    assert!(proto_to_xml(&m).is_err());
    assert!(proto_to_xml(&TakMessage::default()).is_err());
}
