//! The egress guard: the only way labelled data reaches a response.
//!
//! Every handler passes what it is about to disclose through [`release`] or
//! [`release_all`], which call `biac_model::allow` — the same decision the runtime uses
//! to choose each audience's inputs. Anything without a label cannot be passed here.

use biac_model::{Alert, FeedConfig, Label, Subject, Track};

/// Something that carries a security label.
pub trait Labelled {
    fn label(&self) -> &Label;
}

impl Labelled for Track {
    fn label(&self) -> &Label {
        &self.label
    }
}

impl Labelled for Alert {
    fn label(&self) -> &Label {
        &self.label
    }
}

impl Labelled for biac_analytics::Zone {
    fn label(&self) -> &Label {
        &self.label
    }
}

/// A feed's existence, name and counters are as sensitive as its default label.
impl Labelled for FeedConfig {
    fn label(&self) -> &Label {
        &self.default_label
    }
}

/// `Some(item)` when `subject` may see it.
pub fn release<'a, T: Labelled>(subject: &Subject, item: &'a T) -> Option<&'a T> {
    biac_model::allow(subject, item.label()).then_some(item)
}

/// The items `subject` may see, in order.
pub fn release_all<'a, T: Labelled + 'a>(
    subject: &'a Subject,
    items: impl IntoIterator<Item = &'a T> + 'a,
) -> impl Iterator<Item = &'a T> + 'a {
    items.into_iter().filter_map(move |i| release(subject, i))
}
