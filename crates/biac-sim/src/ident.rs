//! Plausible identities: MMSIs with real maritime identification digits, IMO numbers with
//! valid check digits, call signs in each flag's ITU prefix, ship names, ICAO 24-bit
//! addresses in each state's allocated block, airline call signs.

use rand::Rng;

use crate::rnd::{weighted, SimRng};

/// A flag state: MIDs, ITU call-sign prefix, name patterns.
pub(crate) struct Flag {
    pub trigraph: &'static str,
    pub mids: &'static [u32],
    pub callsign_prefixes: &'static [&'static str],
    pub name_prefixes: &'static [&'static str],
    pub name_words: &'static [&'static str],
    pub weight: f64,
}

const PLACES_CN: &[&str] = &[
    "NINGBO",
    "XIAMEN",
    "TIANJIN",
    "DALIAN",
    "QINGDAO",
    "SHANGHAI",
    "FUZHOU",
    "YANTAI",
    "LIANYUNGANG",
    "RIZHAO",
    "WENZHOU",
    "TAIZHOU",
    "ZHOUSHAN",
    "NANTONG",
    "YINGKOU",
    "QINZHOU",
];
const WORDS_INTL: &[&str] = &[
    "HARMONY",
    "FORTUNE",
    "PIONEER",
    "HORIZON",
    "GLORY",
    "TRIUMPH",
    "SPIRIT",
    "PROSPERITY",
    "VOYAGER",
    "ENDEAVOUR",
    "NAVIGATOR",
    "EXPLORER",
    "DISCOVERY",
    "LIBERTY",
    "UNITY",
    "CONCORD",
    "DESTINY",
    "SERENITY",
    "MERIDIAN",
    "ZENITH",
    "AURORA",
    "ORION",
    "PEGASUS",
    "ATLAS",
    "TRITON",
    "NEPTUNE",
];
const NAMES_F: &[&str] = &[
    "ANNA",
    "GULSUN",
    "LORETO",
    "ISABELLA",
    "VALENTINA",
    "FEBE",
    "AMELIA",
    "TESSA",
    "IRINA",
    "MICHELA",
    "SVEVA",
    "AURORA",
    "CHIARA",
    "ELENI",
    "SOFIA",
    "MARIA",
    "KATERINA",
    "DIMITRA",
];
const STARS: &[&str] = &[
    "VEGA",
    "DENEB",
    "RIGEL",
    "ALTAIR",
    "SIRIUS",
    "ANTARES",
    "CANOPUS",
    "CAPELLA",
    "SPICA",
    "ARCTURUS",
    "POLLUX",
    "BELLATRIX",
    "ALDEBARAN",
    "PROCYON",
];
const JP_WORDS: &[&str] = &[
    "KOUEI", "SHINSEI", "HOKUTO", "TOYOFUJI", "SHINWA", "KAIKO", "TAISEI", "ASAKA", "NISSHIN",
    "FUJI", "HAKUYO", "SHOYO", "KAISEI", "TOKO", "EIKO", "SEIWA",
];
const EVER_WORDS: &[&str] = &[
    "GIVEN", "ACE", "GLORY", "LUCID", "LAUREL", "BASIS", "BLOOM", "BRAVE", "CHARM", "DAINTY",
    "EXCEL", "FAITH", "GENIUS", "GOODS", "LEADER",
];
const KR_WORDS: &[&str] = &[
    "ALGECIRAS",
    "OSLO",
    "DUBLIN",
    "GDANSK",
    "BLESSING",
    "HOPE",
    "PROMISE",
    "NURI",
    "GARAM",
    "HANUL",
    "BADA",
    "SARANG",
];

pub(crate) const MERCHANT_FLAGS: &[Flag] = &[
    Flag {
        trigraph: "CHN",
        mids: &[412, 413, 414],
        callsign_prefixes: &["BO", "BP", "BQ", "BR", "BS"],
        name_prefixes: &[
            "COSCO SHIPPING ",
            "ZHONG GU ",
            "XIN ",
            "HUA HANG ",
            "MIN HAI ",
            "SHUN ",
        ],
        name_words: PLACES_CN,
        weight: 0.25,
    },
    Flag {
        trigraph: "HKG",
        mids: &[477],
        callsign_prefixes: &["VR", "VRS"],
        name_prefixes: &["OOCL ", "SITC ", "COSCO ", "SEASPAN "],
        name_words: &[
            "HONG KONG",
            "TOKYO",
            "BRISBANE",
            "KAOHSIUNG",
            "SEOUL",
            "BUSAN",
            "MANILA",
            "JAKARTA",
            "HAIPHONG",
            "LAEM CHABANG",
            "OSAKA",
            "NAGOYA",
            "KEELUNG",
        ],
        weight: 0.12,
    },
    Flag {
        trigraph: "PAN",
        mids: &[351, 352, 353, 354, 355, 356, 357, 370, 371, 372, 373],
        callsign_prefixes: &["3E", "3F", "H3", "H8", "H9", "HO", "HP"],
        name_prefixes: &[
            "GOLDEN ", "SILVER ", "BRIGHT ", "LUCKY ", "PACIFIC ", "OCEAN ", "SUN ",
        ],
        name_words: WORDS_INTL,
        weight: 0.15,
    },
    Flag {
        trigraph: "LBR",
        mids: &[636],
        callsign_prefixes: &["A8", "D5", "5L"],
        name_prefixes: &["MSC ", "CMA CGM ", "", "NORDIC "],
        name_words: NAMES_F,
        weight: 0.14,
    },
    Flag {
        trigraph: "SGP",
        mids: &[563, 564, 565, 566],
        callsign_prefixes: &["9V", "S6"],
        name_prefixes: &["ONE ", "KOTA ", "MAERSK ", "PACIFIC "],
        name_words: &[
            "APUS",
            "HUMBER",
            "TRUST",
            "INNOVATION",
            "ORPHEUS",
            "PERKASA",
            "LAWA",
            "PUSAKA",
            "RAJIN",
            "SENTOSA",
            "SELETAR",
            "JURONG",
            "TUAS",
            "KRANJI",
        ],
        weight: 0.09,
    },
    Flag {
        trigraph: "MHL",
        mids: &[538],
        callsign_prefixes: &["V7"],
        name_prefixes: &["SEAWAYS ", "ARCTIC ", "ORIENT ", "ATLANTIC ", "PACIFIC "],
        name_words: WORDS_INTL,
        weight: 0.07,
    },
    Flag {
        trigraph: "JPN",
        mids: &[431, 432],
        callsign_prefixes: &["JD", "7J"],
        name_prefixes: &["NYK ", "MOL ", "", ""],
        name_words: STARS,
        weight: 0.08,
    },
    Flag {
        trigraph: "TWN",
        mids: &[416],
        callsign_prefixes: &["BL", "BK"],
        name_prefixes: &["EVER ", "YM ", "WAN HAI "],
        name_words: EVER_WORDS,
        weight: 0.05,
    },
    Flag {
        trigraph: "KOR",
        mids: &[440, 441],
        callsign_prefixes: &["DS", "D7", "D8"],
        name_prefixes: &["HMM ", "PAN ", "SINOKOR ", "HYUNDAI "],
        name_words: KR_WORDS,
        weight: 0.05,
    },
];

pub(crate) fn pick_flag<'a>(rng: &mut SimRng, flags: &'a [Flag]) -> &'a Flag {
    let w: Vec<f64> = flags.iter().map(|f| f.weight).collect();
    &flags[weighted(rng, &w)]
}

fn pick<'a>(rng: &mut SimRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn letter(rng: &mut SimRng) -> char {
    (b'A' + rng.random_range(0..26u8)) as char
}

/// An MMSI `MIDxxxxxx` (9 digits).
pub(crate) fn mmsi(rng: &mut SimRng, mids: &[u32]) -> u32 {
    let mid = mids[rng.random_range(0..mids.len())];
    mid * 1_000_000 + rng.random_range(0..1_000_000u32)
}

/// A 7-digit IMO number with a valid check digit.
pub(crate) fn imo(rng: &mut SimRng) -> u32 {
    let base: u32 = rng.random_range(900_000..985_000); // ships built since ~1990
    let digits: Vec<u32> = base
        .to_string()
        .chars()
        .map(|c| c as u32 - '0' as u32)
        .collect();
    let sum: u32 = digits.iter().zip((2..=7).rev()).map(|(d, w)| d * w).sum();
    base * 10 + sum % 10
}

/// IMO check digit validity (used by tests).
#[cfg(test)]
pub(crate) fn imo_valid(imo: u32) -> bool {
    let s = imo.to_string();
    if s.len() != 7 {
        return false;
    }
    let d: Vec<u32> = s.chars().map(|c| c as u32 - '0' as u32).collect();
    let sum: u32 = d[..6].iter().zip((2..=7).rev()).map(|(d, w)| d * w).sum();
    sum % 10 == d[6]
}

/// A call sign in the flag's ITU prefix.
pub(crate) fn callsign(rng: &mut SimRng, flag: &Flag) -> String {
    let p = pick(rng, flag.callsign_prefixes);
    let mut s = p.to_string();
    if p == "JD" || p == "9V" || p == "VRS" {
        s.push_str(&format!("{:04}", rng.random_range(1000..10000)));
    } else {
        while s.len() < 4 {
            s.push(letter(rng));
        }
        s.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    s
}

/// A merchant ship name in the flag's style.
pub(crate) fn merchant_name(rng: &mut SimRng, flag: &Flag) -> String {
    let prefix = pick(rng, flag.name_prefixes);
    let word = pick(rng, flag.name_words);
    match flag.trigraph {
        "JPN" if prefix.is_empty() => format!("{word} MARU"),
        "JPN" => format!("{prefix}{}", pick(rng, STARS)),
        "TWN" if prefix == "WAN HAI " => format!("WAN HAI {}", rng.random_range(301..399)),
        "CHN" if rng.random_bool(0.4) => format!("{prefix}{word} {}", rng.random_range(1..40)),
        _ => format!("{prefix}{word}"),
    }
}

/// A fishing vessel name for a nation.
pub(crate) fn fishing_name(rng: &mut SimRng, nation: &str) -> String {
    match nation {
        "CHN" => {
            let p = pick(
                rng,
                &[
                    "ZHE DAI YU",
                    "MIN SHI YU",
                    "ZHE LING YU",
                    "LU RONG YU",
                    "ZHE PU YU",
                    "MIN LIAN YU",
                ],
            );
            format!("{p} {:05}", rng.random_range(1..99_999))
        }
        "TWN" => {
            let a = pick(rng, &["SHIN", "JIN", "FU", "YU", "HSIN", "CHIN"]);
            let b = pick(rng, &["FA", "YI", "CHENG", "HSIANG", "MAN", "LONG", "SHUN"]);
            format!("{a} {b} NO.{}", rng.random_range(1..399))
        }
        "KOR" => {
            let a = pick(
                rng,
                &[
                    "DAE YANG", "SAM HO", "HAE WOO", "JEJU", "DONG WON", "NAM HAE",
                ],
            );
            format!("{a} {}", rng.random_range(1..120))
        }
        _ => {
            let a = pick(rng, JP_WORDS);
            format!("{a} MARU NO.{}", rng.random_range(1..88))
        }
    }
}

/// MIDs and call-sign prefixes of the fishing nations.
pub(crate) fn fishing_mids(nation: &str) -> (&'static [u32], &'static str) {
    match nation {
        "CHN" => (&[412, 413], "BZ"),
        "TWN" => (&[416], "BJ"),
        "KOR" => (&[440], "DT"),
        _ => (&[431], "JL"),
    }
}

/// An airline: ICAO designator and the registering state's 24-bit address block.
pub(crate) struct Airline {
    pub code: &'static str,
    pub icao_block: (u32, u32),
}

const JPN_BLOCK: (u32, u32) = (0x84_0000, 0x87_FFFF);
const CHN_BLOCK: (u32, u32) = (0x78_0000, 0x7B_FFFF);
const TWN_BLOCK: (u32, u32) = (0x89_9000, 0x89_93FF);
const KOR_BLOCK: (u32, u32) = (0x71_8000, 0x71_FFFF);
const PHL_BLOCK: (u32, u32) = (0x75_8000, 0x75_FFFF);
const USA_BLOCK: (u32, u32) = (0xA0_0000, 0xAF_FFFF);

pub(crate) fn airline(code: &str) -> Airline {
    let (code, block): (&'static str, (u32, u32)) = match code {
        "ANA" => ("ANA", JPN_BLOCK),
        "JAL" => ("JAL", JPN_BLOCK),
        "APJ" => ("APJ", JPN_BLOCK),
        "JTA" => ("JTA", JPN_BLOCK),
        "CES" => ("CES", CHN_BLOCK),
        "CCA" => ("CCA", CHN_BLOCK),
        "CSN" => ("CSN", CHN_BLOCK),
        "CPA" => ("CPA", CHN_BLOCK), // Hong Kong registers in the Chinese block (B-Hxx)
        "CAL" => ("CAL", TWN_BLOCK),
        "EVA" => ("EVA", TWN_BLOCK),
        "SJX" => ("SJX", TWN_BLOCK),
        "KAL" => ("KAL", KOR_BLOCK),
        "AAR" => ("AAR", KOR_BLOCK),
        "JJA" => ("JJA", KOR_BLOCK),
        "PAL" => ("PAL", PHL_BLOCK),
        "CEB" => ("CEB", PHL_BLOCK),
        "UAL" => ("UAL", USA_BLOCK),
        "FDX" => ("FDX", USA_BLOCK),
        _ => ("ANA", JPN_BLOCK),
    };
    Airline {
        code,
        icao_block: block,
    }
}

pub(crate) fn icao_address(rng: &mut SimRng, a: &Airline) -> u32 {
    rng.random_range(a.icao_block.0..=a.icao_block.1)
}

pub(crate) fn flight_callsign(rng: &mut SimRng, a: &Airline) -> String {
    format!("{}{}", a.code, rng.random_range(1..2000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn imo_numbers_have_valid_check_digits() {
        let mut rng = SimRng::seed_from_u64(1);
        for _ in 0..1000 {
            assert!(imo_valid(imo(&mut rng)));
        }
        assert!(imo_valid(9_074_729)); // the worked example of the IMO scheme
    }

    #[test]
    fn mmsis_use_the_flag_mid() {
        let mut rng = SimRng::seed_from_u64(2);
        for f in MERCHANT_FLAGS {
            let m = mmsi(&mut rng, f.mids);
            assert!(f.mids.contains(&(m / 1_000_000)), "{m}");
            assert!((100_000_000..1_000_000_000).contains(&m));
        }
    }
}
