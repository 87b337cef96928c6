//! Proving an email address: a link with an unguessable token, mailed to the address, single
//! use, valid `TTL`. Only a proven address may be trusted with what an address is trusted
//! with — linking a Google or Kakao identity to the account above all (see `http::oauth`).

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::identity::mail::{EmailSender, MailError, OutgoingEmail};
use crate::identity::store::{email_verifications, users};
use crate::platform::db::Db;

/// How long a link works.
pub const TTL: Duration = Duration::hours(24);

#[derive(Debug, thiserror::Error)]
pub enum VerificationError {
    /// Unknown, spent or expired — or the account's email changed since it was sent.
    #[error("the verification link is invalid, used or expired")]
    InvalidToken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Mail(#[from] MailError),
}

/// Issues and redeems verification links; mails them through the configured sender.
#[derive(Clone)]
pub struct EmailVerification {
    db: Db,
    sender: Arc<dyn EmailSender>,
    /// The frontend page that posts the token back (`EMAIL_VERIFICATION_URL`).
    link_base: String,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl EmailVerification {
    pub fn new(db: Db, sender: Arc<dyn EmailSender>, link_base: String) -> Self {
        Self { db, sender, link_base }
    }

    /// The link a token is mailed in.
    pub fn link(&self, token: &str) -> String {
        let sep = if self.link_base.contains('?') { '&' } else { '?' };
        format!("{}{sep}token={token}", self.link_base)
    }

    /// Stores a new token for (`user_id`, `email`) and mails its link to `email`.
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn send_link(&self, user_id: Uuid, email: &str, name: &str) -> Result<(), VerificationError> {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token = URL_SAFE_NO_PAD.encode(raw);
        let now = Utc::now();
        email_verifications::insert(&self.db, &hash(&token), user_id, email, now, now + TTL).await?;
        let link = self.link(&token);
        let text = format!(
            "안녕하세요, {name}님.\n\n\
             아래 링크를 열어 가져가구 계정의 이메일 주소를 인증해 주세요.\n\
             링크는 24시간 동안, 한 번만 쓸 수 있어요.\n\n{link}\n\n\
             가입하신 적이 없다면 이 메일은 무시해 주세요. 링크를 열지 않으면 아무 일도 일어나지 않아요.\n\n\
             ---\n\
             Open the link above to verify the email address of your Gajyeogagu account (valid for 24 hours, \
             once). If you did not sign up, ignore this message: nothing happens unless the link is opened.\n"
        );
        let mail =
            OutgoingEmail {
                to: email.to_string(), subject: "가져가구 이메일 인증 · Verify your email".into(), text
            };
        self.sender.send(&mail).await?;
        Ok(())
    }

    /// Spends `token` and marks its address verified; the account it proved.
    #[tracing::instrument(skip_all)]
    pub async fn verify(&self, token: &str) -> Result<Uuid, VerificationError> {
        let token = token.trim();
        if token.is_empty() || token.len() > 128 {
            return Err(VerificationError::InvalidToken);
        }
        let (user_id, email) = email_verifications::spend(&self.db, &hash(token), Utc::now())
            .await?
            .ok_or(VerificationError::InvalidToken)?;
        if !users::mark_email_verified(&self.db, user_id, &email).await? {
            return Err(VerificationError::InvalidToken);
        }
        // The other links sent to the same address have nothing left to prove.
        email_verifications::spend_all(&self.db, user_id, Utc::now()).await?;
        tracing::info!(user = %user_id, "email verified");
        Ok(user_id)
    }
}
