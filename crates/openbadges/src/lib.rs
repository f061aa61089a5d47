//! rosette-openbadges
