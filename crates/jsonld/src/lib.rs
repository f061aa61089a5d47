//! rosette-jsonld
