//! Scenario simulator.
//! (Skeleton signatures; the implementation is in progress.)
