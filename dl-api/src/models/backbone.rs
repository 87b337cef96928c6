//! The image backbone's shape (EfficientNet-Lite0): what its two outputs are per photo. The
//! image model (`image`) checks a version's files against it; the category head (`head`) and
//! the style prototypes (`styles`) read the embedding it produces.

/// ImageNet classes: the width of the logits.
pub const CLASSES: usize = 1000;
/// The width of the pooled embedding.
pub const EMBEDDING: usize = 1280;
