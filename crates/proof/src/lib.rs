//! rosette-proof
