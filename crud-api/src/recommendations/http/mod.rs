//! Recommendations, similar listings, style match, style prototypes and photo analysis on
//! the wire.

pub mod analysis;
pub mod catalogue_head;
pub mod similar;
pub mod style_match;
pub mod style_prototypes;
