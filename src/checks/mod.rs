//! The photo checks of SPEC §2. This part holds how OFIQ (ISO/IEC 29794-5's reference
//! implementation) maps its measures to 0–100, so that the checks that reuse an OFIQ measure
//! report the same score OFIQ would.

pub mod ofiq;
