//! What is sent, how it fails, and who sends it: the message (built as RFC 5322 with lettre) and
//! the `EmailSender` trait its transports implement.

use std::pin::Pin;

/// One plain-text message to one recipient.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address {0:?}")]
    Address(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("mail server: {0}")]
    Transport(String),
    #[error("writing the message: {0}")]
    Io(#[from] std::io::Error),
}

pub type SendFuture<'a> = Pin<Box<dyn std::future::Future<Output = Result<(), MailError>> + Send + 'a>>;

/// Sends one message. Object-safe (a boxed future) so the service holds whichever was
/// configured.
pub trait EmailSender: Send + Sync {
    fn send<'a>(&'a self, email: &'a OutgoingEmail) -> SendFuture<'a>;
}

/// The message as RFC 5322 (`From`, `To`, `Subject`, `Date`, `Message-ID`), its UTF-8 body in
/// base64: any mail server carries it (no 8BITMIME needed) and a link is never split by
/// quoted-printable soft breaks.
pub fn build(from: &str, email: &OutgoingEmail) -> Result<lettre::Message, MailError> {
    use lettre::message::header::{ContentTransferEncoding, ContentType};
    let from = from.parse::<lettre::message::Mailbox>().map_err(|_| MailError::Address(from.to_string()))?;
    let to = email.to.parse::<lettre::message::Mailbox>().map_err(|_| MailError::Address(email.to.clone()))?;
    let body = lettre::message::SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .header(ContentTransferEncoding::Base64)
        .body(email.text.clone());
    lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(&email.subject)
        .singlepart(body)
        .map_err(|e| MailError::Build(e.to_string()))
}

/// The text of a message `build` made (its base64 body decoded): what a mail client shows.
pub fn body_text(raw: &[u8]) -> Option<String> {
    use base64::Engine;
    let raw = String::from_utf8_lossy(raw);
    let (_, body) = raw.split_once("\r\n\r\n")?;
    let b64: String = body.split_whitespace().collect();
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).ok()?).ok()
}
