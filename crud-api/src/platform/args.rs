//! Bind values for SQL built at run time (filters), bindable on both backends.

use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Int(i64),
    Uuid(Uuid),
    Time(DateTime<Utc>),
    Bool(bool),
}

/// Collects arguments and hands out their `$n` placeholders in order.
#[derive(Debug, Default)]
pub struct Args(pub Vec<Arg>);

impl Args {
    pub fn push(&mut self, arg: Arg) -> String {
        self.0.push(arg);
        format!("${}", self.0.len())
    }
}

/// Binds every `Arg` of `$args` onto the query `$q` (inside `on_db!`, so `$q`'s backend is
/// concrete).
#[macro_export]
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::platform::args::Arg::Text(v) => q.bind(v),
                $crate::platform::args::Arg::Int(v) => q.bind(v),
                $crate::platform::args::Arg::Uuid(v) => q.bind(v),
                $crate::platform::args::Arg::Time(v) => q.bind(v),
                $crate::platform::args::Arg::Bool(v) => q.bind(v),
            };
        }
        q
    }};
}
