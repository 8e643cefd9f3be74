//! `biac decode FORMAT FILE`: decode a capture offline, one JSON observation per line.

use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;

use biac_formats::framing::Frame;
use biac_formats::FeedDecoder;
use biac_model::{FeedConfig, FeedFormat, Label, Nation, ObservationKind};

#[derive(clap::Args)]
pub struct DecodeArgs {
    /// ais, sbs or cot
    format: String,
    /// A file, or - for standard input.
    file: PathBuf,
}

pub fn run(a: DecodeArgs) -> Result<(), String> {
    let format = match a.format.as_str() {
        "ais" => FeedFormat::Ais,
        "sbs" => FeedFormat::Sbs,
        "cot" => FeedFormat::Cot,
        f => return Err(format!("unknown format {f:?} (ais, sbs, cot)")),
    };
    let mut input = Vec::new();
    if a.file.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut input)
    } else {
        std::fs::File::open(&a.file).and_then(|mut f| f.read_to_end(&mut input))
    }
    .map_err(|e| format!("{}: {e}", a.file.display()))?;
    let name = a.file.display().to_string();
    let mut decoder = FeedDecoder::new(FeedConfig {
        name: name.clone(),
        format,
        nation: Nation::JPN,
        default_label: Label::unclassified_public(Nation::JPN),
        trusted_markings: false,
        cot_kind: ObservationKind::Track,
        description: String::new(),
    });
    let mut framer = decoder.framer();
    framer.push(&input);
    framer.push(b"\n");
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    let (mut ok, mut bad) = (0u64, 0u64);
    while let Some(frame) = framer.next_frame() {
        let result = match frame {
            Frame::Record { offset, bytes } => decoder.decode(&bytes, offset, 0),
            Frame::Oversized { offset, len } => Err(biac_formats::DecodeError {
                feed: name.clone(),
                offset,
                reason: format!("record of {len} bytes exceeds the limit"),
            }),
        };
        match result {
            Ok(obs) => {
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
    out.flush().map_err(|e| e.to_string())?;
    eprintln!("{ok} observations, {bad} records rejected");
    Ok(())
}
