//! Outgoing email (verification links), behind `EmailSender`: SMTP in production
//! (`MAIL_SMTP_URL`), or — the embedded default, and what the tests read — `.eml` files in a
//! directory (`MAIL_DIR`), so `make run` needs no mail server and a developer can open the link.

pub mod dir;
pub mod message;
pub mod smtp;

use std::sync::Arc;

pub use dir::DirSender;
pub use message::{body_text, EmailSender, MailError, OutgoingEmail};
pub use smtp::SmtpSender;

/// The configured sender: SMTP when a URL is given, else files under `dir`.
pub fn from_config(smtp_url: Option<&str>, from: &str, dir: &std::path::Path) -> anyhow::Result<Arc<dyn EmailSender>> {
    Ok(match smtp_url {
        Some(url) => Arc::new(SmtpSender::new(url, from)?),
        None => Arc::new(DirSender::new(dir, from)),
    })
}
