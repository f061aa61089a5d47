//! rosette-core
