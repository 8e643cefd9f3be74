//! Drives the scenario simulator against feed listeners over real TCP.
