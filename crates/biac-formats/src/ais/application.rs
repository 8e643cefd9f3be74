//! Application payloads of binary messages (types 6 and 8), identified by their
//! designated area code (DAC) and function id (FID): the IMO SN.1/Circ.236 and 289
//! international messages, the Inland AIS (DAC 200) ones and the UK/Ireland
//! lighthouse authorities' AtoN monitoring (DAC 235/250).
//!
//! Values are kept unscaled, as sent. The set decoded, and the length each must
//! have to be taken apart, follow gpsd (`gpsdecode`), so that our gpsd JSON matches
//! its: a payload outside these rules stays raw bits (`BinaryData`) only. Fields are
//! read the way gpsd reads them: a field running past the end of a short message
//! reads the fill bits and then zeros.

use super::bits::Bits;

/// The services of a berthing data message (DAC 1 FID 20), in order.
pub const BERTH_SERVICES: [&str; 26] = [
    "agent",
    "fuel",
    "chandler",
    "stevedore",
    "electrical",
    "water",
    "customs",
    "cartage",
    "crane",
    "lift",
    "medical",
    "navrepair",
    "provisions",
    "shiprepair",
    "surveyor",
    "steam",
    "tugs",
    "solidwaste",
    "liquidwaste",
    "hazardouswaste",
    "ballast",
    "additional",
    "regional1",
    "regional2",
    "future1",
    "future2",
];

/// A tidal window entry (IMO236 FID 14 and IMO289 FID 32).
#[derive(Clone, Debug, PartialEq)]
pub struct Tidal {
    pub lon: i32,
    pub lat: i32,
    pub from_hour: u8,
    pub from_min: u8,
    pub to_hour: u8,
    pub to_min: u8,
    pub cdir: u16,
    pub cspeed: u8,
}

/// A target reported by a VTS (IMO289 FID 17).
#[derive(Clone, Debug, PartialEq)]
pub struct VtsTarget {
    /// 0 MMSI, 1 IMO, 2 call sign, 3 other.
    pub idtype: u8,
    /// The identifier as gpsd prints it (numbers as decimal text).
    pub id: String,
    pub lat: i32,
    pub lon: i32,
    pub course: u16,
    pub second: u8,
    pub speed: u16,
}

/// Meteorological and hydrological data: IMO236 FID 11 (`imo236`) or IMO289 FID 31.
/// Positions in 1/1000 minute.
#[derive(Clone, Debug, PartialEq)]
pub struct MetHydro {
    pub imo236: bool,
    pub lon: i32,
    pub lat: i32,
    /// IMO289 only.
    pub accuracy: bool,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub wspeed: u8,
    pub wgust: u8,
    pub wdir: u16,
    pub wgustdir: u16,
    /// IMO236: unsigned with offset; IMO289: signed tenths of a degree.
    pub airtemp: i32,
    pub humidity: u8,
    pub dewpoint: i32,
    pub pressure: u16,
    pub pressuretend: u8,
    /// IMO289 only.
    pub visgreater: bool,
    pub visibility: u8,
    pub waterlevel: u16,
    pub leveltrend: u8,
    pub cspeed: u8,
    pub cdir: u16,
    pub cspeed2: u8,
    pub cdir2: u16,
    pub cdepth2: u8,
    pub cspeed3: u8,
    pub cdir3: u16,
    pub cdepth3: u8,
    pub waveheight: u8,
    pub waveperiod: u8,
    pub wavedir: u16,
    pub swellheight: u8,
    pub swellperiod: u8,
    pub swelldir: u16,
    pub seastate: u8,
    pub watertemp: i32,
    pub preciptype: u8,
    pub salinity: u16,
    pub ice: u8,
}

/// A decoded application payload.
#[derive(Clone, Debug, PartialEq)]
pub enum Application {
    /// Type 6, DAC 200 FID 21 (ETA) and 22 (RTA, with `status`) at lock/bridge/terminal.
    InlandLockTime {
        rta: bool,
        country: String,
        locode: String,
        section: String,
        terminal: String,
        hectometre: String,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        tugs: u8,
        airdraught: u16,
        status: u8,
    },
    /// Type 6, DAC 200 FID 55: persons on board.
    InlandPersons {
        crew: u8,
        passengers: u16,
        personnel: u8,
    },
    /// Type 6, DAC 235/250 FID 10: AtoN monitoring data.
    AtonMonitoring {
        ana_int: u16,
        ana_ext1: u16,
        ana_ext2: u16,
        racon: u8,
        light: u8,
        alarm: bool,
        stat_ext: u8,
        off_pos: bool,
    },
    /// Type 6, DAC 1 FID 12: dangerous cargo indication (IMO236).
    DangerousCargo {
        lastport: String,
        lmonth: u8,
        lday: u8,
        lhour: u8,
        lminute: u8,
        nextport: String,
        nmonth: u8,
        nday: u8,
        nhour: u8,
        nminute: u8,
        dangerous: String,
        imdcat: String,
        unid: u16,
        amount: u16,
        unit: u8,
    },
    /// Type 6, DAC 1 FID 14 (IMO236) and 32 (IMO289): tidal window.
    TidalWindow {
        month: u8,
        day: u8,
        tidals: Vec<Tidal>,
    },
    /// DAC 1 FID 15: extended ship static data (air draught).
    AirDraught { airdraught: u16 },
    /// DAC 1 FID 16: number of persons on board.
    Persons { persons: u16 },
    /// Type 6, DAC 1 FID 18: clearance time to enter port (position in 1/1000 minute).
    ClearanceTime {
        linkage: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        portname: String,
        destination: String,
        lon: i32,
        lat: i32,
    },
    /// Type 6, DAC 1 FID 20: berthing data (position in 1/1000 minute, depth in
    /// decimetres). `services` are the 26 two-bit service states, in gpsd's order
    /// ([`BERTH_SERVICES`]).
    Berthing {
        linkage: u16,
        berth_length: u16,
        berth_depth: u8,
        position: u8,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        availability: bool,
        services: [u8; 26],
        berth_name: String,
        berth_lon: i32,
        berth_lat: i32,
    },
    /// Type 6, DAC 1 FID 25: dangerous cargo (IMO289), (code, subtype) pairs.
    DangerousCargoList {
        unit: u8,
        amount: u16,
        cargos: Vec<(u8, u16)>,
    },
    /// DAC 1 FID 28 (type 6) and 27 (type 8): route information, waypoints in
    /// 1/10000 minute.
    Route {
        linkage: u16,
        sender: u8,
        rtype: u8,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        duration: u32,
        waypoints: Vec<(i32, i32)>,
    },
    /// DAC 1 FID 30 (type 6) and 29 (type 8): text description.
    Text { linkage: u16, text: String },
    /// Type 8, DAC 1 FID 11 (IMO236) and 31 (IMO289).
    MetHydro(Box<MetHydro>),
    /// Type 8, DAC 1 FID 13: fairway closed.
    FairwayClosed {
        reason: String,
        closefrom: String,
        closeto: String,
        radius: u16,
        extunit: u8,
        fday: u8,
        fmonth: u8,
        fhour: u8,
        fminute: u8,
        tday: u8,
        tmonth: u8,
        thour: u8,
        tminute: u8,
    },
    /// Type 8, DAC 1 FID 17: VTS-generated targets.
    VtsTargets { targets: Vec<VtsTarget> },
    /// Type 8, DAC 200 FID 10: inland ship static and voyage data.
    InlandStatic {
        vin: String,
        length: u16,
        beam: u16,
        shiptype: u16,
        hazard: u8,
        draught: u16,
        loaded: u8,
        speed_q: bool,
        course_q: bool,
        heading_q: bool,
    },
    /// Type 8, DAC 200 FID 24: water levels, (gauge id, level) pairs.
    InlandWaterLevel {
        country: String,
        gauges: Vec<(u16, i16)>,
    },
    /// Type 8, DAC 200 FID 40: signal status (position in 1/10000 minute).
    InlandSignal {
        lon: i32,
        lat: i32,
        form: u8,
        facing: u16,
        direction: u8,
        status: u32,
    },
}

/// Take apart the payload of a type 6 (`msg_type` 6) or type 8 message, when it is
/// an application gpsd decodes and has the length gpsd requires of it.
pub(super) fn decode_application(b: &Bits, msg_type: u8, dac: u16, fid: u8) -> Option<Application> {
    if msg_type == 6 {
        decode_addressed(b, dac, fid)
    } else {
        decode_broadcast(b, dac, fid)
    }
}

fn decode_addressed(b: &Bits, dac: u16, fid: u8) -> Option<Application> {
    let n = b.len();
    let u = |s: usize, w: usize| b.raw_u(s, w);
    let i = |s: usize, w: usize| b.raw_i(s, w);
    let text = |s: usize, c: usize| b.raw_text(s, c);
    Some(match (dac, fid) {
        (200, 21 | 22) => {
            let rta = fid == 22;
            if n != if rta { 232 } else { 248 } {
                return None;
            }
            Application::InlandLockTime {
                rta,
                country: text(88, 2),
                locode: text(100, 3),
                section: text(118, 5),
                terminal: text(148, 5),
                hectometre: text(178, 5),
                month: u(208, 4) as u8,
                day: u(212, 5) as u8,
                hour: u(217, 5) as u8,
                minute: u(222, 6) as u8,
                tugs: if rta { 0 } else { u(228, 3) as u8 },
                airdraught: if rta { 0 } else { u(231, 12) as u16 },
                status: if rta { u(228, 2) as u8 } else { 0 },
            }
        }
        (200, 55) if n == 168 => Application::InlandPersons {
            crew: u(88, 8) as u8,
            passengers: u(96, 13) as u16,
            personnel: u(109, 8) as u8,
        },
        (235 | 250, 10) if n == 136 => Application::AtonMonitoring {
            ana_int: u(88, 10) as u16,
            ana_ext1: u(98, 10) as u16,
            ana_ext2: u(108, 10) as u16,
            racon: u(118, 2) as u8,
            light: u(120, 2) as u8,
            alarm: u(122, 1) == 1,
            stat_ext: u(123, 8) as u8,
            off_pos: u(131, 1) == 1,
        },
        (1, 12) => Application::DangerousCargo {
            lastport: text(88, 5),
            lmonth: u(118, 4) as u8,
            lday: u(122, 5) as u8,
            lhour: u(127, 5) as u8,
            lminute: u(132, 6) as u8,
            nextport: text(138, 5),
            nmonth: u(168, 4) as u8,
            nday: u(172, 5) as u8,
            nhour: u(177, 5) as u8,
            nminute: u(182, 6) as u8,
            dangerous: text(188, 20),
            imdcat: text(308, 4),
            unid: u(332, 13) as u16,
            amount: u(345, 10) as u16,
            unit: u(355, 2) as u8,
        },
        (1, 14) => {
            // IMO236: latitude first, 93-bit entries.
            let tidals = (0..)
                .map(|k| 97 + 93 * k)
                .take_while(|&a| a <= n)
                .map(|a| Tidal {
                    lat: i(a, 27) as i32,
                    lon: i(a + 27, 28) as i32,
                    from_hour: u(a + 55, 5) as u8,
                    from_min: u(a + 60, 6) as u8,
                    to_hour: u(a + 66, 5) as u8,
                    to_min: u(a + 71, 6) as u8,
                    cdir: u(a + 77, 9) as u16,
                    cspeed: u(a + 86, 7) as u8,
                })
                .collect();
            Application::TidalWindow {
                month: u(88, 4) as u8,
                day: u(92, 5) as u8,
                tidals,
            }
        }
        (1, 32) => {
            let tidals = (0..)
                .map(|k| 97 + 88 * k)
                .take_while(|&a| a <= n)
                .map(|a| Tidal {
                    lon: i(a, 25) as i32,
                    lat: i(a + 25, 24) as i32,
                    from_hour: u(a + 49, 5) as u8,
                    from_min: u(a + 54, 6) as u8,
                    to_hour: u(a + 60, 5) as u8,
                    to_min: u(a + 65, 6) as u8,
                    cdir: u(a + 71, 9) as u16,
                    cspeed: u(a + 80, 8) as u8,
                })
                .collect();
            Application::TidalWindow {
                month: u(88, 4) as u8,
                day: u(92, 5) as u8,
                tidals,
            }
        }
        // gpsd reads the air draught at bit 56 for the addressed form too.
        (1, 15) => Application::AirDraught {
            airdraught: u(56, 11) as u16,
        },
        (1, 16) => Application::Persons {
            persons: if n - 88 == 136 { u(88, 13) } else { u(55, 13) } as u16,
        },
        (1, 18) => Application::ClearanceTime {
            linkage: u(88, 10) as u16,
            month: u(98, 4) as u8,
            day: u(102, 5) as u8,
            hour: u(107, 5) as u8,
            minute: u(112, 6) as u8,
            portname: text(118, 20),
            destination: text(238, 5),
            lon: i(268, 25) as i32,
            lat: i(293, 24) as i32,
        },
        (1, 20) => Application::Berthing {
            linkage: u(88, 10) as u16,
            berth_length: u(98, 9) as u16,
            berth_depth: u(107, 8) as u8,
            position: u(115, 3) as u8,
            month: u(118, 4) as u8,
            day: u(122, 5) as u8,
            hour: u(127, 5) as u8,
            minute: u(132, 6) as u8,
            availability: u(138, 1) == 1,
            services: std::array::from_fn(|k| u(139 + 2 * k, 2) as u8),
            berth_name: text(191, 20),
            berth_lon: i(311, 25) as i32,
            berth_lat: i(336, 24) as i32,
        },
        (1, 25) => Application::DangerousCargoList {
            unit: u(88, 2) as u8,
            amount: u(90, 10) as u16,
            cargos: (0..)
                .map(|k| 100 + 17 * k)
                .take_while(|&a| a < n)
                .map(|a| (u(a, 4) as u8, u(a + 4, 13) as u16))
                .collect(),
        },
        (1, 28) => route(b, 88),
        (1, 30) => Application::Text {
            linkage: u(88, 10) as u16,
            text: b.text_to_end(98),
        },
        _ => return None,
    })
}

/// Route information (type 6 FID 28 at `base` 88, type 8 FID 27 at 56).
fn route(b: &Bits, base: usize) -> Application {
    let u = |s: usize, w: usize| b.raw_u(s, w);
    let waycount = u(base + 56, 5) as usize;
    Application::Route {
        linkage: u(base, 10) as u16,
        sender: u(base + 10, 3) as u8,
        rtype: u(base + 13, 5) as u8,
        month: u(base + 18, 4) as u8,
        day: u(base + 22, 5) as u8,
        hour: u(base + 27, 5) as u8,
        minute: u(base + 32, 6) as u8,
        duration: u(base + 38, 18) as u32,
        waypoints: (0..waycount)
            .map(|k| base + 61 + 55 * k)
            .map(|a| (b.raw_i(a, 28) as i32, b.raw_i(a + 28, 27) as i32))
            .collect(),
    }
}

fn decode_broadcast(b: &Bits, dac: u16, fid: u8) -> Option<Application> {
    let n = b.len();
    let u = |s: usize, w: usize| b.raw_u(s, w);
    let i = |s: usize, w: usize| b.raw_i(s, w);
    let text = |s: usize, c: usize| b.raw_text(s, c);
    Some(match (dac, fid) {
        (1, 11) => Application::MetHydro(Box::new(MetHydro {
            imo236: true,
            lat: i(56, 24) as i32,
            lon: i(80, 25) as i32,
            accuracy: false,
            day: u(105, 5) as u8,
            hour: u(110, 5) as u8,
            minute: u(115, 6) as u8,
            wspeed: u(121, 7) as u8,
            wgust: u(128, 7) as u8,
            wdir: u(135, 9) as u16,
            wgustdir: u(144, 9) as u16,
            airtemp: u(153, 11) as i32,
            humidity: u(164, 7) as u8,
            dewpoint: u(171, 10) as i32,
            pressure: u(181, 9) as u16,
            pressuretend: u(190, 2) as u8,
            visgreater: false,
            visibility: u(192, 8) as u8,
            waterlevel: u(200, 9) as u16,
            leveltrend: u(209, 2) as u8,
            cspeed: u(211, 8) as u8,
            cdir: u(219, 9) as u16,
            cspeed2: u(228, 8) as u8,
            cdir2: u(236, 9) as u16,
            cdepth2: u(245, 5) as u8,
            cspeed3: u(250, 8) as u8,
            cdir3: u(258, 9) as u16,
            cdepth3: u(267, 5) as u8,
            waveheight: u(272, 8) as u8,
            waveperiod: u(280, 6) as u8,
            wavedir: u(286, 9) as u16,
            swellheight: u(295, 8) as u8,
            swellperiod: u(303, 6) as u8,
            swelldir: u(309, 9) as u16,
            seastate: u(318, 4) as u8,
            watertemp: u(322, 10) as i32,
            preciptype: u(332, 3) as u8,
            salinity: u(335, 9) as u16,
            ice: u(344, 2) as u8,
        })),
        (1, 31) => Application::MetHydro(Box::new(MetHydro {
            imo236: false,
            lon: i(56, 25) as i32,
            lat: i(81, 24) as i32,
            accuracy: u(105, 1) == 1,
            day: u(106, 5) as u8,
            hour: u(111, 5) as u8,
            minute: u(116, 6) as u8,
            wspeed: u(122, 7) as u8,
            wgust: u(129, 7) as u8,
            wdir: u(136, 9) as u16,
            wgustdir: u(145, 9) as u16,
            airtemp: i(154, 11) as i32,
            humidity: u(165, 7) as u8,
            dewpoint: i(172, 10) as i32,
            pressure: u(182, 9) as u16,
            pressuretend: u(191, 2) as u8,
            visgreater: u(193, 1) == 1,
            visibility: u(194, 7) as u8,
            waterlevel: u(201, 12) as u16,
            leveltrend: u(213, 2) as u8,
            cspeed: u(215, 8) as u8,
            cdir: u(223, 9) as u16,
            cspeed2: u(232, 8) as u8,
            cdir2: u(240, 9) as u16,
            cdepth2: u(249, 5) as u8,
            cspeed3: u(254, 8) as u8,
            cdir3: u(262, 9) as u16,
            cdepth3: u(271, 5) as u8,
            waveheight: u(276, 8) as u8,
            waveperiod: u(284, 6) as u8,
            wavedir: u(290, 9) as u16,
            swellheight: u(299, 8) as u8,
            swellperiod: u(307, 6) as u8,
            swelldir: u(313, 9) as u16,
            seastate: u(322, 4) as u8,
            watertemp: i(326, 10) as i32,
            preciptype: u(336, 3) as u8,
            salinity: u(339, 9) as u16,
            ice: u(348, 2) as u8,
        })),
        (1, 13) => Application::FairwayClosed {
            reason: text(56, 20),
            closefrom: text(176, 20),
            closeto: text(296, 20),
            radius: u(416, 10) as u16,
            extunit: u(426, 2) as u8,
            fday: u(428, 5) as u8,
            fmonth: u(433, 4) as u8,
            fhour: u(437, 5) as u8,
            fminute: u(442, 6) as u8,
            tday: u(448, 5) as u8,
            tmonth: u(453, 4) as u8,
            thour: u(457, 5) as u8,
            tminute: u(462, 6) as u8,
        },
        (1, 15) => Application::AirDraught {
            airdraught: u(56, 11) as u16,
        },
        (1, 16) => Application::Persons {
            persons: match n - 56 {
                136 => u(88, 13),
                72 => u(55, 13),
                _ => return None,
            } as u16,
        },
        (1, 17) => Application::VtsTargets {
            targets: (0..)
                .map(|k| 56 + 122 * k)
                .take_while(|&a| a <= n)
                .map(|a| {
                    let idtype = u(a, 2) as u8;
                    let id = match idtype {
                        // gpsd keeps the 42-bit number in 32 bits.
                        0 | 1 => (u(a + 2, 42) as u32).to_string(),
                        _ => text(a + 2, 7),
                    };
                    VtsTarget {
                        idtype,
                        id,
                        lat: i(a + 48, 24) as i32,
                        lon: i(a + 72, 25) as i32,
                        course: u(a + 97, 9) as u16,
                        second: u(a + 106, 6) as u8,
                        speed: u(a + 112, 10) as u16,
                    }
                })
                .collect(),
        },
        (1, 27) => route(b, 56),
        (1, 29) => Application::Text {
            linkage: u(56, 10) as u16,
            text: b.text_to_end(66),
        },
        (200, 10) if n == 168 => {
            let hazard = u(141, 3) as u8;
            // gpsd's guard against false matches.
            if hazard > 5 {
                return None;
            }
            Application::InlandStatic {
                vin: text(56, 8),
                length: u(104, 13) as u16,
                beam: u(117, 10) as u16,
                shiptype: u(127, 14) as u16,
                hazard,
                draught: u(144, 11) as u16,
                loaded: u(155, 2) as u8,
                speed_q: u(157, 1) == 1,
                course_q: u(158, 1) == 1,
                heading_q: u(159, 1) == 1,
            }
        }
        (200, 24) if n == 168 => Application::InlandWaterLevel {
            country: text(56, 2),
            gauges: (0..)
                .map(|k| 68 + 25 * k)
                .take_while(|&a| a < n)
                .map(|a| (u(a, 11) as u16, i(a + 11, 14) as i16))
                .collect(),
        },
        (200, 40) if n == 168 => Application::InlandSignal {
            lon: i(56, 28) as i32,
            lat: i(84, 27) as i32,
            form: u(111, 4) as u8,
            facing: u(115, 9) as u16,
            direction: u(124, 3) as u8,
            status: u(127, 30) as u32,
        },
        _ => return None,
    })
}
