//! WGS84 geodesy for the tracker: the names it uses, from `biac-geo` (the one
//! implementation in the workspace).

pub use biac_geo::{ecef_to_geodetic, geodetic_to_ecef, EnuFrame, WGS84_A, WGS84_F};
