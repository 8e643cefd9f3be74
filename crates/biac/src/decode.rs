//! `biac decode FORMAT FILE`: decode a capture offline, one JSON object per line.
//! For AIS the objects are gpsd's unscaled AIS JSON (what `gpsdecode -u -j` prints, with
//! type 24 parts A and B merged), so biac is a drop-in for tools that read it; for the
//! other formats, and for AIS with `--observations`, they are labelled observations
//! (for ASTERIX: CAT048 plots with their range and azimuth, CAT062 system tracks as
//! national-track observations, `"kind":"track"`, track number `SAC/SIC:I062/040`).

use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;

use biac_formats::framing::Frame;
use biac_formats::FeedDecoder;
use biac_model::{FeedConfig, FeedFormat, Label, Nation, ObservationKind, RadarSite, TimeMs};

#[derive(clap::Args)]
pub struct DecodeArgs {
    /// ais, sbs, cot, beast (Mode S in Beast binary framing), tak (TAK protocol v1
    /// stream), asterix (CAT048 plots and CAT062 system tracks; needs --radar and
    /// --day) or gmti (STANAG 4607 packets: one JSON line per segment)
    format: String,
    /// AIS only: print labelled observations instead of gpsd's unscaled AIS JSON
    /// (the other formats always print observations).
    #[arg(long)]
    observations: bool,
    /// ASTERIX only: the radar site as LAT,LON,ALT_M (WGS84 degrees, metres above the
    /// ellipsoid): CAT048 measures range and azimuth from it; for CAT062 it is the
    /// system reference point of I062/100's plane (tracks with I062/105 need none).
    #[arg(long, value_name = "LAT,LON,ALT_M")]
    radar: Option<String>,
    /// ASTERIX only: one-sigma slant-range and azimuth errors of the radar.
    #[arg(long, default_value_t = 50.0)]
    sigma_range_m: f64,
    #[arg(long, default_value_t = 0.15)]
    sigma_azimuth_deg: f64,
    /// ASTERIX only: the UTC day the capture starts, YYYY-MM-DD (CAT048 and CAT062 carry
    /// only the time of day: the first record is placed on this day, each next one
    /// nearest its predecessor, so a capture running across midnight goes on into the
    /// next day).
    #[arg(long)]
    day: Option<String>,
    /// A file, or - for standard input.
    file: PathBuf,
}

pub fn run(a: DecodeArgs) -> Result<(), String> {
    let format = match a.format.as_str() {
        "ais" => FeedFormat::Ais,
        "sbs" => FeedFormat::Sbs,
        "cot" => FeedFormat::Cot,
        "beast" => FeedFormat::Beast,
        "tak" => FeedFormat::Tak,
        "asterix" => FeedFormat::Asterix {
            radar: radar_site(&a)?,
        },
        "gmti" => return gmti(&a.file),
        f => {
            return Err(format!(
                "unknown format {f:?} (ais, sbs, cot, beast, tak, asterix, gmti)"
            ))
        }
    };
    // Receive time given to the decoders: only ASTERIX reads it. Noon of --day for the
    // first record, then the previous record's time, so a capture running across
    // midnight moves on to the next day.
    let mut received_ms = match &format {
        FeedFormat::Asterix { .. } => noon_of(a.day.as_deref())?,
        _ => 0,
    };
    let mut input = Vec::new();
    if a.file.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut input)
    } else {
        std::fs::File::open(&a.file).and_then(|mut f| {
            let size = f.metadata().map_or(0, |m| m.len());
            input.reserve(usize::try_from(size).unwrap_or(0).saturating_add(1));
            f.read_to_end(&mut input)
        })
    }
    .map_err(|e| format!("{}: {e}", a.file.display()))?;
    if format == FeedFormat::Ais && !a.observations {
        return gpsd_json(&input, &a.file.display().to_string());
    }
    let name = a.file.display().to_string();
    let cfg = FeedConfig {
        name: name.clone(),
        format,
        nation: Nation::JPN,
        default_label: Label::unclassified_public(Nation::JPN),
        trusted_markings: false,
        cot_kind: ObservationKind::Track,
        description: String::new(),
        limits: Default::default(),
    };
    if a.format == "beast" {
        return beast(&input, &cfg);
    }
    let mut decoder = FeedDecoder::new(cfg);
    let mut framer = decoder.framer();
    framer.push(&input);
    let asterix = matches!(format, FeedFormat::Asterix { .. });
    if matches!(format, FeedFormat::Ais | FeedFormat::Sbs) {
        // A line capture may omit its last line's terminator.
        framer.push(b"\n");
    }
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    let (mut ok, mut bad) = (0u64, 0u64);
    while let Some(frame) = framer.next_frame() {
        let result = match frame {
            Frame::Record { offset, bytes } => decoder.decode(&bytes, offset, received_ms),
            Frame::Oversized { offset, len } => Err(biac_formats::DecodeError {
                feed: name.clone(),
                offset,
                reason: biac_formats::Reason::Oversized { len },
            }),
        };
        match result {
            Ok(obs) => {
                if let (true, Some(o)) = (asterix, obs.last()) {
                    received_ms = o.time_ms;
                }
                for o in obs {
                    ok += 1;
                    serde_json::to_writer(&mut out, &o).map_err(|e| e.to_string())?;
                    out.write_all(b"\n").map_err(|e| e.to_string())?;
                }
            }
            Err(e) => {
                bad += 1;
                eprintln!("{e}");
            }
        }
    }
    // The capture ends inside a record: say so rather than drop it silently (what a text
    // framer leaves after the last record may be only whitespace).
    let pending = framer.pending().min(input.len());
    let tail = &input[input.len() - pending..];
    let text_tail = !asterix && tail.iter().all(u8::is_ascii_whitespace);
    if pending > 0 && !text_tail {
        bad += 1;
        eprintln!(
            "{name}: record at byte {}: input ends inside it ({pending} bytes)",
            input.len() - pending,
        );
    }
    out.flush().map_err(|e| e.to_string())?;
    eprintln!("{ok} observations, {bad} records rejected");
    Ok(())
}

/// The radar site of `--radar` and the sigma flags, checked.
fn radar_site(a: &DecodeArgs) -> Result<RadarSite, String> {
    let spec = a
        .radar
        .as_deref()
        .ok_or("asterix needs --radar LAT,LON,ALT_M (CAT048 positions are relative to it)")?;
    let v: Vec<f64> = spec
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("--radar {spec:?}: {e}"))?;
    let [lat_deg, lon_deg, alt_m] = v[..] else {
        return Err(format!("--radar {spec:?}: want LAT,LON,ALT_M"));
    };
    let site = RadarSite {
        lat_deg,
        lon_deg,
        alt_m,
        sigma_range_m: a.sigma_range_m,
        sigma_azimuth_deg: a.sigma_azimuth_deg,
        sac: None,
        sic: None,
    };
    site.validate().map_err(|e| format!("--radar: {e}"))?;
    Ok(site)
}

/// Noon UTC of `day` (YYYY-MM-DD) in Unix milliseconds.
fn noon_of(day: Option<&str>) -> Result<TimeMs, String> {
    let day = day.ok_or("asterix needs --day YYYY-MM-DD (CAT048 carries only the time of day)")?;
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(day, &fmt).map_err(|e| format!("--day {day:?}: {e}"))?;
    let noon = date
        .with_hms(12, 0, 0)
        .expect("noon is a valid time")
        .assume_utc();
    Ok((noon.unix_timestamp_nanos() / 1_000_000) as TimeMs)
}

/// STANAG 4607 packets to one JSON line per segment, in wire order (the contract of
/// `biac_formats::stanag4607::json`). A packet or segment that does not decode is
/// reported on stderr with its absolute byte offset; decoding goes on with the next
/// segment that can be found, else the next packet. Fails only if no segment decoded.
fn gmti(file: &std::path::Path) -> Result<(), String> {
    use biac_formats::stanag4607::{decode_packet, json::segment_json, Packets};
    let name = file.display().to_string();
    let input = if file.as_os_str() == "-" {
        let mut v = Vec::new();
        std::io::stdin().read_to_end(&mut v).map(|_| v)
    } else {
        std::fs::read(file)
    }
    .map_err(|e| format!("{name}: {e}"))?;
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    let (mut ok, mut bad) = (0u64, 0u64);
    for packet in Packets::new(&input, 0) {
        let segments = match packet.and_then(|(offset, bytes)| decode_packet(bytes, offset)) {
            Ok(p) => p.segments,
            Err(e) => vec![Err(e)],
        };
        for s in segments {
            match s {
                Ok(s) => {
                    ok += 1;
                    serde_json::to_writer(&mut out, &segment_json(&s.segment, s.size.into()))
                        .map_err(|e| e.to_string())?;
                    out.write_all(b"\n").map_err(|e| e.to_string())?;
                }
                Err(e) => {
                    bad += 1;
                    eprintln!("{name}: {e}");
                }
            }
        }
    }
    out.flush().map_err(|e| e.to_string())?;
    eprintln!("{ok} segments, {bad} errors");
    if ok == 0 {
        return Err(format!("{name}: no segment decoded"));
    }
    Ok(())
}

/// AIS sentences to gpsd's unscaled JSON, one object per line. Lines that do not
/// decode are reported on stderr with their line number and skipped; characters after
/// a sentence's checksum are ignored, as gpsd does, and reported.
fn gpsd_json(input: &[u8], name: &str) -> Result<(), String> {
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    let c = write_gpsd_json(input, name, &mut out)?;
    out.flush().map_err(|e| e.to_string())?;
    eprintln!(
        "{} messages, {} lines rejected, {} lines with characters after the checksum (ignored)",
        c.messages, c.rejected, c.trailers
    );
    Ok(())
}

/// What [`write_gpsd_json`] did.
#[derive(Debug, PartialEq)]
struct GpsdCounts {
    messages: u64,
    rejected: u64,
    /// Lines accepted with characters after the checksum.
    trailers: u64,
}

/// The gpsd JSON lines for `input` into `out`.
fn write_gpsd_json(input: &[u8], name: &str, out: &mut impl Write) -> Result<GpsdCounts, String> {
    use biac_formats::ais::{AisDecoder, GpsdJsonWriter, Sentence};
    let mut decoder = AisDecoder::new();
    let mut writer = GpsdJsonWriter::new();
    let mut json = String::with_capacity(1024);
    let (mut ok, mut bad, mut trailers) = (0u64, 0u64, 0u64);
    for (n, line) in input.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        let parsed = Sentence::parse(line).inspect(|s| {
            if let Some(t) = &s.trailer {
                trailers += 1;
                eprintln!(
                    "{name}: line {}: ignored {} characters after the checksum: {t:?}",
                    n + 1,
                    t.len()
                );
            }
        });
        match parsed.and_then(|s| decoder.decode(s, 0)) {
            Ok(Some(d)) => {
                if writer.write_into(&d.message, &mut json) {
                    ok += 1;
                    out.write_all(json.as_bytes())
                        .and_then(|()| out.write_all(b"\n"))
                        .map_err(|e| e.to_string())?;
                }
            }
            Ok(None) => {}
            Err(e) => {
                bad += 1;
                eprintln!("{name}: line {}: {e}", n + 1);
            }
        }
    }
    Ok(GpsdCounts {
        messages: ok,
        rejected: bad,
        trailers,
    })
}

/// Beast binary to observations (Mode S decoded, CPR resolved, normalised as an
/// SBS feed). Times are the frames' MLAT counter in milliseconds.
fn beast(input: &[u8], cfg: &FeedConfig) -> Result<(), String> {
    use biac_formats::beast::{BeastDecoder, FrameKind};
    use biac_formats::modes::{ModeSDecoder, ModeSNormaliser};
    let mut framer = BeastDecoder::new();
    framer.push(input);
    let mut norm = ModeSNormaliser::new(ModeSDecoder::new());
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    let (mut ok, mut bad) = (0u64, 0u64);
    loop {
        let frame = match framer.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                bad += 1;
                eprintln!("{}: {e}", cfg.name);
                continue;
            }
        };
        if !matches!(frame.kind, FrameKind::ModeSShort | FrameKind::ModeSLong) {
            continue;
        }
        let now_ms = i64::try_from(frame.timestamp / 12_000).unwrap_or(0);
        match norm.decode(cfg, &frame.message, now_ms) {
            Ok(obs) => {
                for o in obs {
                    ok += 1;
                    serde_json::to_writer(&mut out, &o).map_err(|e| e.to_string())?;
                    out.write_all(b"\n").map_err(|e| e.to_string())?;
                }
            }
            Err(e) => {
                bad += 1;
                eprintln!("{}: {e}", cfg.name);
            }
        }
    }
    out.flush().map_err(|e| e.to_string())?;
    eprintln!("{ok} observations, {bad} frames rejected");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpsd_json_merges_type_24_and_reports_bad_lines() {
        let input = b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\r\n\
            !AIVDM,1,1,,A,H42O55i18tMET00000000000000,2*6D\n\
            garbage\n\
            !AIVDM,1,1,,A,H42O55lti4hhhilD3nink000?050,0*40\\x0d\\x0a\n";
        let mut out = Vec::new();
        let counts = write_gpsd_json(input, "t", &mut out).unwrap();
        let want = GpsdCounts {
            messages: 2,
            rejected: 1,
            trailers: 1,
        };
        assert_eq!(counts, want);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["mmsi"], 371_798_000);
        assert_eq!(lines[0]["speed"], 123);
        assert_eq!(lines[1]["type"], 24);
        assert!(lines[1]["shipname"].is_string() && lines[1]["callsign"].is_string());
    }
}
