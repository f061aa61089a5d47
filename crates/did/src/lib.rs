//! rosette-did
